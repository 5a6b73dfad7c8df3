import { EMPTY, from, mergeMap, type Observable } from 'rxjs';

/** What an adapter's `bindMessageHandlers` gets for each `@SubscribeMessage` handler. */
interface MessageHandler {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's own signature: the arguments are the transport's
  callback: (...args: any[]) => unknown;
}

/** `handlers`, each reached only once `check` answers `true` (else the message is dropped); `transform` is the adapter's. */
export function checkedHandlers<H extends MessageHandler>(
  handlers: readonly H[],
  check: () => Promise<boolean>,
  transform: (result: unknown) => Observable<unknown>,
): H[] {
  return handlers.map((handler) => ({
    ...handler,
    callback: (...args: unknown[]) =>
      from(check()).pipe(
        mergeMap((ok) => {
          if (!ok) return EMPTY;
          try {
            return transform(handler.callback(...args));
          } catch {
            // As the adapters do: an error here would end the socket's message stream.
            return EMPTY;
          }
        }),
      ),
  }));
}
