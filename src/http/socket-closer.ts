/** Where an adapter attaches a socket's closer, so the guards close sockets without importing a WebSocket package. */
const CLOSE_SOCKET = Symbol.for('@axess/nestjs-session:close-socket');

/** Closes a socket with a WebSocket close code and reason (socket.io: an event, then a disconnect). */
export type SocketCloser = (code: number, reason: string) => void;

/**
 * The close code of a socket whose last authentication is too old for a `@RequireRecentAuth`
 * message (reason `reauthentication-required`): confirm the password over HTTP, then reconnect.
 */
export const REAUTHENTICATION_CLOSE_CODE = 4002;

/** Attaches the closer of the socket behind `client` (used by the adapters when they admit it). */
export function attachSocketCloser(client: object, close: SocketCloser): void {
  (client as { [CLOSE_SOCKET]?: SocketCloser })[CLOSE_SOCKET] = close;
}

/** Closes the socket behind `client`; false when no adapter attached a closer to it. */
export function closeSocketOf(client: unknown, code: number, reason: string): boolean {
  if (typeof client !== 'object' || client === null) return false;
  const close = (client as { [CLOSE_SOCKET]?: SocketCloser })[CLOSE_SOCKET];
  if (!close) return false;
  close(code, reason);
  return true;
}
