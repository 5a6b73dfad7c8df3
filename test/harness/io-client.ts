import { io, type Socket } from 'socket.io-client';
import { GATEWAY_PATH } from './session-gateway.app';

/** How a socket.io connection attempt ended: a connected client, or the `connect_error` that refused it. */
export type IoConnectResult = { connected: true; client: IoTestClient } | { connected: false; message: string; data: unknown };

/** A connected test client: every event it got, and how it was disconnected. */
export interface IoTestClient {
  socket: Socket;
  /** Every event from the server, in order, with its first argument. */
  events: Array<{ event: string; data: unknown }>;
  /** Resolves when it is disconnected, with socket.io's reason and when (`performance.now()`). */
  disconnected: Promise<{ reason: string; at: number }>;
  /** Resolves with the first event named `event` whose data matches. */
  next(event: string, match?: (data: unknown) => boolean): Promise<unknown>;
}

/**
 * Connects a socket.io client to the test gateway of `baseUrl` with a `Cookie` and an `Origin` as
 * a browser would send them (no reconnection), over long polling then WebSocket (socket.io's
 * default) or `transports`.
 */
export function connectIo(
  baseUrl: string,
  options: { cookie?: string; origin?: string; transports?: Array<'polling' | 'websocket'> } = {},
): Promise<IoConnectResult> {
  const extraHeaders: Record<string, string> = {};
  if (options.cookie !== undefined) extraHeaders.cookie = options.cookie;
  if (options.origin !== undefined) extraHeaders.origin = options.origin;
  const socket = io(baseUrl, { path: GATEWAY_PATH, reconnection: false, forceNew: true, extraHeaders, transports: options.transports });
  const events: Array<{ event: string; data: unknown }> = [];
  const waiters: Array<{ event: string; match: (data: unknown) => boolean; resolve: (data: unknown) => void }> = [];
  socket.onAny((event: string, data: unknown) => {
    events.push({ event, data });
    for (const waiter of waiters.filter((w) => w.event === event && w.match(data))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(data);
    }
  });
  const disconnected = new Promise<{ reason: string; at: number }>((resolve) =>
    socket.once('disconnect', (reason) => resolve({ reason, at: performance.now() })),
  );
  const client: IoTestClient = {
    socket,
    events,
    disconnected,
    next: (event, match = () => true) => {
      const seen = events.find((e) => e.event === event && match(e.data));
      if (seen) return Promise.resolve(seen.data);
      return new Promise((resolve) => waiters.push({ event, match, resolve }));
    },
  };
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ connected: true, client }));
    socket.once('connect_error', (error: Error & { data?: unknown }) => {
      socket.close();
      resolve({ connected: false, message: error.message, data: error.data });
    });
  });
}

/** Connects a client that must connect. */
export async function openIo(baseUrl: string, cookie: string, transports?: Array<'polling' | 'websocket'>): Promise<IoTestClient> {
  const result = await connectIo(baseUrl, { cookie, origin: baseUrl, transports });
  if (!result.connected) throw new Error(`The handshake was refused: ${result.message} ${JSON.stringify(result.data)}`);
  return result.client;
}
