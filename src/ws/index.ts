/**
 * WebSockets with axess sessions, on `@nestjs/platform-ws`: `AxessWsAdapter` admits an upgrade
 * only from the app's own origin with a live signed-in session, gives gateways the session, and
 * closes a socket (code 4001, the ended reason) as soon as its session ends on any instance.
 * Needs the optional peers `@nestjs/websockets` and `@nestjs/platform-ws`.
 *
 * @example
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new AxessWsAdapter(app));
 *
 * @packageDocumentation
 * @module \@axess/nestjs-session/ws
 */
import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import { AxessWebSocketSessions, type AllowedOrigins, type SessionSocket } from './websocket-sessions.js';

export { AxessWebSocketSessions, SESSION_ENDED_CLOSE_CODE } from './websocket-sessions.js';
export type { AllowedOrigins, SessionSocket, UpgradeAccepted, UpgradeDecision, UpgradeRefused } from './websocket-sessions.js';

/** Options of {@link AxessWsAdapter}. */
export interface AxessWsAdapterOptions {
  /**
   * Which `Origin` may open a socket: a list of origins (`['https://app.example.com']`) or a
   * function of the origin (`undefined` when the client sent none) and the upgrade request.
   * @default this server's own origin (scheme, host and port, as the connection reached it); no
   * `Origin` is refused. Behind a TLS-terminating proxy, list the public origin.
   */
  allowedOrigins?: AllowedOrigins;
  /**
   * How often the sessions of open sockets are checked against the store, in ms; `0` checks only
   * after events from other instances may have been missed.
   * @default 60000
   */
  recheckIntervalMs?: number;
}

/** The `verifyClient` callback of the `ws` package. */
type VerifyCallback = (accept: boolean, status?: number, message?: string, headers?: Record<string, string>) => void;

/**
 * `@nestjs/platform-ws`'s adapter with axess sessions:
 * - an upgrade is answered `403` when its `Origin` is not allowed (cross-site WebSocket
 *   hijacking: a page of another site would otherwise open a socket with the user's cookie),
 *   `401` without the cookie of a live signed-in session (`{"reason": ...}` when the server
 *   knows why it ended), `503` when the store does not answer; no socket opens then;
 * - an opened socket carries its session: `@CurrentSession()` and the guards work in message
 *   handlers, and `getAxessSession(client)` in `handleConnection`;
 * - when the session ends on any instance (logout, revoke, eviction, ...), the socket is closed
 *   with code 4001 and the ended reason (`revoked`, `evicted:newer-sign-in`, `logged-out`, ...).
 *
 * @example
 * app.useWebSocketAdapter(new AxessWsAdapter(app, { allowedOrigins: ['https://app.example.com'] }));
 */
export class AxessWsAdapter extends WsAdapter {
  private readonly sessions: AxessWebSocketSessions;

  constructor(
    app: INestApplicationContext,
    private readonly axessOptions: AxessWsAdapterOptions = {},
  ) {
    super(app);
    this.sessions = app.get(AxessWebSocketSessions, { strict: false });
    if (axessOptions.recheckIntervalMs !== undefined) this.sessions.setRecheckInterval(axessOptions.recheckIntervalMs);
  }

  /** Creates the gateway's server with the session check on every upgrade (a `verifyClient` of the gateway's own is replaced). */
  override create(port: number, options: Record<string, unknown> & { namespace?: string; server?: unknown; path?: string } = {}): unknown {
    return super.create(port, {
      ...options,
      verifyClient: (info: { req: IncomingMessage }, done: VerifyCallback) => {
        this.sessions.verifyUpgrade(info.req, this.axessOptions.allowedOrigins).then(
          (decision) =>
            decision.accept
              ? done(true)
              : done(false, decision.status, JSON.stringify(decision.body), { 'Content-Type': 'application/json; charset=utf-8' }),
          () => done(false, 500),
        );
      },
    });
  }

  /** Gives each socket its session (and tracks it) before the gateway's `handleConnection` runs. */
  override bindClientConnect(
    server: { on(event: 'connection', listener: (socket: SessionSocket, request: IncomingMessage) => void): void },
    callback: (...args: unknown[]) => unknown,
  ): void {
    server.on('connection', (socket, request) => {
      this.sessions.admit(socket, request);
      callback(socket, request);
    });
  }
}
