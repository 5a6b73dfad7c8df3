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
import type { Observable } from 'rxjs';
import { checkedHandlers } from './checked-handlers.js';
import { LIMIT_CLOSE_CODE, TOO_MANY_MESSAGES } from './close-codes.js';
import type { AxessSocketOptions } from './socket-options.js';
import { SocketGate } from './socket-gate.js';
import type { SessionSocket } from './websocket-sessions.js';

export { LIMIT_CLOSE_CODE, TOO_MANY_MESSAGES, TOO_MANY_SOCKETS } from './close-codes.js';
export { REAUTHENTICATION_CLOSE_CODE } from '../http/socket-closer.js';
export { DEFAULT_MAX_MESSAGES_PER_SECOND, DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_SOCKETS_PER_SESSION } from './socket-options.js';
export type { AxessSocketOptions } from './socket-options.js';
export { AxessWebSocketSessions, SESSION_ENDED_CLOSE_CODE } from './websocket-sessions.js';
export type {
  AdmitOptions,
  AllowedOrigins,
  SessionSocket,
  UpgradeAccepted,
  UpgradeDecision,
  UpgradeRefused,
} from './websocket-sessions.js';

/** Options of {@link AxessWsAdapter}: the origins allowed, the re-checks and the limits, each with a safe default. */
export type AxessWsAdapterOptions = AxessSocketOptions;

/** The `verifyClient` callback of the `ws` package. */
type VerifyCallback = (accept: boolean, status?: number, message?: string, headers?: Record<string, string>) => void;

/** What the adapter needs of a `ws` WebSocket. */
interface WsSocket extends SessionSocket {
  readyState: number;
  on(event: 'message', listener: () => void): unknown;
}

const OPEN = 1;

/**
 * `@nestjs/platform-ws`'s adapter with axess sessions:
 * - an upgrade is answered `403` for an `Origin` not allowed (cross-site WebSocket hijacking),
 *   `401` without a live signed-in session (with `{"reason": ...}` when known), `503` when the
 *   store does not answer;
 * - a socket carries its session (`@CurrentSession()`, the guards, `getAxessSession(client)`),
 *   re-read from the store before each message (`recheckEachMessage`);
 * - when the session ends on any instance, the socket is closed with 4001 and the ended reason;
 * - limits (see {@link AxessSocketOptions}): 1009 for a frame over `maxPayload`, 1008 for
 *   `too-many-sockets` (the oldest closes) and `too-many-messages`.
 *
 * @example
 * app.useWebSocketAdapter(new AxessWsAdapter(app, { allowedOrigins: ['https://app.example.com'] }));
 */
export class AxessWsAdapter extends WsAdapter {
  private readonly gate: SocketGate;

  constructor(app: INestApplicationContext, options: AxessWsAdapterOptions = {}) {
    super(app);
    this.gate = new SocketGate(app, options);
  }

  /** Creates the gateway's server with the session check on every upgrade (replacing its own `verifyClient`) and `maxPayload`. */
  override create(port: number, options: Record<string, unknown> & { namespace?: string; server?: unknown; path?: string } = {}): unknown {
    return super.create(port, {
      maxPayload: this.gate.limits.maxPayload,
      ...options,
      verifyClient: (info: { req: IncomingMessage }, done: VerifyCallback) => {
        this.gate.verify(info.req).then(
          (decision) =>
            decision.accept
              ? done(true)
              : done(false, decision.status, JSON.stringify(decision.body), { 'Content-Type': 'application/json; charset=utf-8' }),
          () => done(false, 500),
        );
      },
    });
  }

  /** Gives each socket its session (and tracks it) and counts its messages, before the gateway's `handleConnection` runs. Called by Nest. @internal */
  override bindClientConnect(
    server: { on(event: 'connection', listener: (socket: WsSocket, request: IncomingMessage) => void): void },
    callback: (...args: unknown[]) => unknown,
  ): void {
    server.on('connection', (socket, request) => {
      const rate = this.gate.admit(socket, socket, request);
      if (rate) socket.on('message', () => !rate.take() && socket.readyState === OPEN && socket.close(LIMIT_CLOSE_CODE, TOO_MANY_MESSAGES));
      callback(socket, request);
    });
  }

  /** The gateway's handlers, each reached only by a message of an open socket whose session is still live. Called by Nest. @internal */
  override bindMessageHandlers(
    client: WsSocket,
    handlers: Parameters<WsAdapter['bindMessageHandlers']>[1],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const check = async () => client.readyState === OPEN && (await this.gate.mayHandle(client));
    super.bindMessageHandlers(client, checkedHandlers(handlers, check, transform), transform);
  }
}
