/**
 * socket.io with axess sessions, on `@nestjs/platform-socket.io`: `AxessIoAdapter` admits a
 * handshake only from the app's own origin with a live signed-in session, gives gateways the
 * session, and disconnects a socket (after `axess:session-ended` with `{ reason }`) as soon as its
 * session ends on any instance. Needs the optional peers `@nestjs/websockets` and
 * `@nestjs/platform-socket.io`; it loads nothing of `@nestjs/platform-ws`.
 *
 * @example
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new AxessIoAdapter(app));
 *
 * @packageDocumentation
 * @module \@axess/nestjs-session/socket.io
 */
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { IncomingMessage } from 'node:http';
import type { Observable } from 'rxjs';
import { checkedHandlers } from '../ws/checked-handlers.js';
import { LIMIT_CLOSE_CODE, TOO_MANY_MESSAGES } from '../ws/close-codes.js';
import { SocketGate } from '../ws/socket-gate.js';
import type { AxessSocketOptions } from '../ws/socket-options.js';
import { handshakeError } from './handshake-error.js';
import { IoSessionSocket, type IoSocketLike } from './io-session-socket.js';

export { TOO_MANY_MESSAGES, TOO_MANY_SOCKETS } from '../ws/close-codes.js';
export { DEFAULT_MAX_MESSAGES_PER_SECOND, DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_SOCKETS_PER_SESSION } from '../ws/socket-options.js';
export type { AxessSocketOptions } from '../ws/socket-options.js';
export type { AllowedOrigins } from '../ws/origin.js';
export type { HandshakeRefusal } from './handshake-error.js';
export { SESSION_ENDED_EVENT, SOCKET_CLOSED_EVENT } from './io-session-socket.js';

/** Options of {@link AxessIoAdapter}: the origins allowed, the re-checks and the limits, each with a safe default. */
export type AxessIoAdapterOptions = AxessSocketOptions;

/** What the adapter needs of a socket.io socket. */
interface IoSocket extends IoSocketLike {
  readonly request: IncomingMessage;
  use(middleware: (packet: unknown[], next: (error?: Error) => void) => void): unknown;
}

/** What the adapter needs of a socket.io server or namespace. */
interface IoServerLike {
  use(middleware: (socket: IoSocket, next: (error?: Error) => void) => void): unknown;
  on(event: 'connection', listener: (socket: IoSocket) => void): unknown;
}

/**
 * `@nestjs/platform-socket.io`'s `IoAdapter` with axess sessions (Express or Fastify):
 * - a handshake is refused for an `Origin` not allowed, without a live signed-in session, or when
 *   the store does not answer: `connect_error`'s `err.data` is `{ statusCode, reason }`;
 * - a socket carries its session (`@CurrentSession()`, the guards, `getAxessSession(client)`),
 *   re-read from the store before each message (`recheckEachMessage`);
 * - when the session ends on any instance, the client gets `axess:session-ended` with
 *   `{ reason }` and is disconnected;
 * - limits (see {@link AxessSocketOptions}): `maxHttpBufferSize` is `maxPayload`; over
 *   `maxSocketsPerSession` (the oldest) or `maxMessagesPerSecond`, a socket gets
 *   `axess:socket-closed` with `{ reason }` and is disconnected.
 *
 * @example
 * app.useWebSocketAdapter(new AxessIoAdapter(app, { allowedOrigins: ['https://app.example.com'] }));
 */
export class AxessIoAdapter extends IoAdapter {
  private readonly gate: SocketGate;

  constructor(app: INestApplicationContext, options: AxessIoAdapterOptions = {}) {
    super(app);
    this.gate = new SocketGate(app, options);
  }

  /** Creates the gateway's server (or namespace) with `maxHttpBufferSize` and the session check on every handshake. */
  override create(port: number, options?: Parameters<IoAdapter['create']>[1]): ReturnType<IoAdapter['create']> {
    const server = super.create(port, { maxHttpBufferSize: this.gate.limits.maxPayload, ...options } as Parameters<IoAdapter['create']>[1]);
    (server as unknown as IoServerLike).use((socket, next) => {
      this.gate.verify(socket.request).then(
        (decision) => (decision.accept ? next() : next(handshakeError(decision))),
        () => next(handshakeError({ accept: false, status: 500, body: {} })),
      );
    });
    return server;
  }

  /** Gives each socket its session (and tracks it) and counts its messages, before the gateway's `handleConnection` runs. Called by Nest. @internal */
  override bindClientConnect(server: IoServerLike, callback: (...args: unknown[]) => unknown): void {
    server.on('connection', (socket) => {
      const tracked = new IoSessionSocket(socket);
      const rate = this.gate.admit(socket, tracked, socket.request);
      // Over the limit, the packet is dropped (no `next`) and the socket disconnected.
      if (rate) socket.use((_packet, next) => (rate.take() ? next() : tracked.close(LIMIT_CLOSE_CODE, TOO_MANY_MESSAGES)));
      callback(socket);
    });
  }

  /** The gateway's handlers, each reached only by a message of a connected socket whose session is still live. Called by Nest. @internal */
  override bindMessageHandlers(
    socket: IoSocket,
    handlers: Parameters<IoAdapter['bindMessageHandlers']>[1],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const check = async () => socket.connected && (await this.gate.mayHandle(socket));
    super.bindMessageHandlers(socket as never, checkedHandlers(handlers, check, transform), transform);
  }
}
