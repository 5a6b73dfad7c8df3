import type { INestApplicationContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { SessionSocket } from './session-socket.js';
import { MessageRate, socketLimits, type AxessSocketOptions, type SocketLimits } from './socket-options.js';
import type { UpgradeDecision } from './upgrade-decision.js';
import { AxessWebSocketSessions } from './websocket-sessions.js';

/** What `AxessWsAdapter` and `AxessIoAdapter` share: the checked limits, the session service, each socket admitted once. */
export class SocketGate {
  readonly limits: SocketLimits;
  private readonly sessions: AxessWebSocketSessions;
  private readonly admitted = new WeakSet<object>();

  constructor(
    app: INestApplicationContext,
    private readonly options: AxessSocketOptions,
  ) {
    this.limits = socketLimits(options);
    this.sessions = app.get(AxessWebSocketSessions, { strict: false });
    if (options.recheckIntervalMs !== undefined) this.sessions.setRecheckInterval(options.recheckIntervalMs);
  }

  /** Decides a handshake under the adapter's `allowedOrigins`. */
  verify(request: IncomingMessage): Promise<UpgradeDecision> {
    return this.sessions.verifyUpgrade(request, this.options.allowedOrigins);
  }

  /**
   * Admits `socket` (gateways get `client`) and returns its message counter; `undefined` without a
   * message limit, or when gateways sharing a server already admitted it (each binds its own handler).
   */
  admit(client: object, socket: SessionSocket, request: IncomingMessage): MessageRate | undefined {
    if (this.admitted.has(client)) return undefined;
    this.admitted.add(client);
    this.sessions.admit(socket, request, { carrier: client, maxSocketsPerSession: this.limits.maxSocketsPerSession });
    return this.limits.maxMessagesPerSecond === Infinity ? undefined : new MessageRate(this.limits.maxMessagesPerSecond);
  }

  /** Whether a message of `client` may reach a handler: its session is read again first (`recheckEachMessage`). */
  async mayHandle(client: object): Promise<boolean> {
    return !this.limits.recheckEachMessage || (await this.sessions.checkMessage(client));
  }
}
