import { WebSocket } from 'ws';

/** How an upgrade attempt ended: a socket, or the HTTP answer that refused it. */
export type UpgradeResult = { opened: true; socket: TestSocket } | { opened: false; status: number; body: unknown };

/** An open test socket: what it received and how it closed. */
export interface TestSocket {
  ws: WebSocket;
  /** Every message, parsed as JSON. */
  messages: unknown[];
  /** Resolves when it closes, with the close code, reason and when (`performance.now()`). */
  closed: Promise<{ code: number; reason: string; at: number }>;
  /** Resolves with the first message that matches. */
  next(match: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/**
 * Opens `ws://.../ws` (or another path) with a `Cookie` and an `Origin` as a browser would send
 * them; resolves once it is open, or with the status and body of the refused upgrade.
 */
export function upgrade(baseUrl: string, options: { cookie?: string; origin?: string; path?: string } = {}): Promise<UpgradeResult> {
  const url = baseUrl.replace(/^http/, 'ws') + (options.path ?? '/ws');
  const ws = new WebSocket(url, {
    headers: options.cookie === undefined ? {} : { cookie: options.cookie },
    ...(options.origin === undefined ? {} : { origin: options.origin }),
  });
  const messages: unknown[] = [];
  const waiters: Array<{ match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    messages.push(message);
    for (const waiter of waiters.filter((w) => w.match(message))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    }
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString(), at: performance.now() })),
  );
  const socket: TestSocket = {
    ws,
    messages,
    closed,
    next: (match) => {
      const seen = messages.find((m) => match(m as Record<string, unknown>));
      if (seen) return Promise.resolve(seen as Record<string, unknown>);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ opened: true, socket }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ opened: false, status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', (error) => reject(error));
  });
}

/** Opens a socket that must open, and waits for the sample's first message (`{"type":"session",...}`). */
export async function openSessionSocket(baseUrl: string, cookie: string): Promise<{ socket: TestSocket; hello: Record<string, unknown> }> {
  const result = await upgrade(baseUrl, { cookie, origin: baseUrl });
  if (!result.opened) throw new Error(`The upgrade was refused: ${result.status} ${JSON.stringify(result.body)}`);
  const hello = await result.socket.next((m) => m.type === 'session');
  return { socket: result.socket, hello };
}
