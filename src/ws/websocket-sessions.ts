import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ServerResponse, type IncomingMessage } from 'node:http';
import { Clock } from '../clock/clock.js';
import { AxessSessionEvents } from '../events/axess-session-events.service.js';
import { ENDING_EVENT_TYPES, SessionEndReason, type AxessSessionEvent } from '../events/session-event.types.js';
import type { AxessSession } from '../http/axess-session.js';
import { attachAxessSession, findAxessSession } from '../http/session-request.js';
import { attachSocketCloser } from '../http/socket-closer.js';
import { sessionStateOf } from '../http/session-state.js';
import { AxessSessionMiddleware } from '../http/session.middleware.js';
import { SessionLifetime } from '../store/session-lifetime.js';
import { SessionStore } from '../store/session-store.js';
import { closeReason, LIMIT_CLOSE_CODE, SESSION_ENDED_CLOSE_CODE, TOO_MANY_SOCKETS } from './close-codes.js';
import type { AllowedOrigins } from './origin.js';
import type { AdmitOptions, SessionSocket } from './session-socket.js';
import { decideUpgrade, type UpgradeDecision } from './upgrade-decision.js';

export { SESSION_ENDED_CLOSE_CODE } from './close-codes.js';
export { originAllowed, type AllowedOrigins } from './origin.js';
export type { UpgradeAccepted, UpgradeDecision, UpgradeRefused } from './upgrade-decision.js';
export type { AdmitOptions, SessionSocket } from './session-socket.js';

/** How long an ended session is remembered for a socket that opens just after (its upgrade read the session before it ended). */
const RECENTLY_ENDED_MS = 60_000;

/** @default 60 s: how often open sockets' sessions are checked against the store. */
export const DEFAULT_RECHECK_INTERVAL_MS = 60_000;

interface Tracked {
  /** Each open socket of the session (oldest first) and the session handle its gateway holds. */
  sockets: Map<SessionSocket, AxessSession>;
  /** The handle of the first socket: its record says when the absolute timeout is over. */
  session: AxessSession;
}

/**
 * The WebSocket side of sessions, for `AxessWsAdapter`, `AxessIoAdapter` and any adapter of your own:
 * - `verifyUpgrade`: only a same-origin upgrade with a live signed-in session, loaded by the
 *   session middleware itself;
 * - `admit`: the socket gets the session and is tracked (over `maxSocketsPerSession`, the oldest closes);
 * - `checkMessage`: a message's session is read from the store first;
 * - a socket whose session ends on any instance is closed with 4001 and the ended reason, and open
 *   sockets are checked against the store after missed events and every `recheckIntervalMs`.
 * Changes a handler makes to a socket's session are not saved: change sessions over HTTP.
 */
@Injectable()
export class AxessWebSocketSessions implements OnModuleDestroy {
  private readonly logger = new Logger('AxessSession');
  private readonly bySession = new Map<string, Tracked>();
  private readonly recentlyEnded = new Map<string, { reason: string; at: number }>();
  /** Per client, the check of its last message: checks end in the order messages came. */
  private readonly lastCheck = new WeakMap<object, Promise<boolean>>();
  private middleware: AxessSessionMiddleware | undefined;
  /** Set once listening to session events (from the first upgrade or socket on); undefined before. */
  private stopListening: Array<() => void> | undefined;
  private destroyed = false;
  private timer: NodeJS.Timeout | undefined;
  private recheckIntervalMs = DEFAULT_RECHECK_INTERVAL_MS;
  private rechecking: Promise<void> | undefined;

  /** Created by Nest's injector from the module's providers. @internal */
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly events: AxessSessionEvents,
    private readonly store: SessionStore,
    private readonly lifetime: SessionLifetime,
    private readonly clock: Clock,
  ) {}

  /** Stops listening and checking. @internal */
  onModuleDestroy(): void {
    this.destroyed = true;
    for (const stop of this.stopListening ?? []) stop();
    this.stopListening = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** How often open sockets' sessions are checked against the store (`0`: only after missed events). */
  setRecheckInterval(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError('recheckIntervalMs must be a whole number of ms ≥ 0.');
    this.recheckIntervalMs = ms;
    clearInterval(this.timer);
    this.timer = undefined;
    this.armTimer();
  }

  /** The number of sockets tracked now. */
  get openSockets(): number {
    return [...this.bySession.values()].reduce((count, tracked) => count + tracked.sockets.size, 0);
  }

  /** Decides an upgrade: 403 for an `Origin` not allowed, 401 without a live signed-in session, 503 when the store does not answer. */
  verifyUpgrade(request: IncomingMessage, allowedOrigins?: AllowedOrigins): Promise<UpgradeDecision> {
    this.listen();
    return decideUpgrade(request, allowedOrigins, (req) => this.loadSession(req), this.logger);
  }

  /** Gives an opened socket (or `options.carrier`) its upgrade's session and tracks it until it closes. */
  admit(socket: SessionSocket, request: IncomingMessage, options: AdmitOptions = {}): void {
    this.listen();
    const session = findAxessSession(request);
    const id = session?.id;
    if (!session || id === undefined) {
      socket.close(SESSION_ENDED_CLOSE_CODE, SessionEndReason.ended);
      return;
    }
    attachAxessSession(options.carrier ?? socket, session);
    // Lets RecentAuthGuard close it with 4002 when a message needs a fresher authentication.
    attachSocketCloser(options.carrier ?? socket, (code, reason) => this.closeQuietly(socket, code, closeReason(reason)));
    const ended = this.recentlyEnded.get(id);
    if (ended) {
      this.end(session, ended.reason);
      socket.close(SESSION_ENDED_CLOSE_CODE, closeReason(ended.reason));
      return;
    }
    let tracked = this.bySession.get(id);
    if (!tracked) this.bySession.set(id, (tracked = { sockets: new Map(), session }));
    tracked.sockets.set(socket, session);
    socket.once('close', () => this.forget(id, socket));
    const max = options.maxSocketsPerSession ?? Infinity;
    // Oldest first (insertion order): a reloaded tab replaces its old socket rather than being refused.
    for (const oldest of tracked.sockets.keys()) {
      if (tracked.sockets.size <= max) break;
      tracked.sockets.delete(oldest);
      this.closeQuietly(oldest, LIMIT_CLOSE_CODE, TOO_MANY_SOCKETS);
    }
    this.armTimer();
  }

  /**
   * Whether a message of `client` may be handled, its session read from the store now: a session
   * gone closes its sockets; a store that does not answer refuses the message only. In order per client.
   */
  checkMessage(client: object): Promise<boolean> {
    const previous = this.lastCheck.get(client);
    const check = previous ? previous.then(() => this.runCheck(client)) : this.runCheck(client);
    this.lastCheck.set(client, check);
    return check;
  }

  private async runCheck(client: object): Promise<boolean> {
    const session = findAxessSession(client);
    const id = session?.id;
    if (!session?.isAuthenticated || id === undefined) return false;
    let record;
    try {
      record = await this.store.load(id);
    } catch (error) {
      this.logger.warn(`Could not check the session of a WebSocket message: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
    if (record && record.userId === session.userId && !this.lifetime.isOver(record, this.clock.nowMs())) return session.isAuthenticated;
    const reason = record
      ? SessionEndReason.absoluteTimeout
      : ((await this.store.goneReason(id).catch(() => undefined)) ?? SessionEndReason.ended);
    this.remember(id, reason);
    this.closeSession(id, reason);
    this.end(session, reason);
    return false;
  }

  /** Checks the sessions of every open socket against the store now, closing those gone; concurrent calls share a run. */
  recheck(): Promise<void> {
    this.rechecking ??= this.runRecheck().finally(() => (this.rechecking = undefined));
    return this.rechecking;
  }

  private async runRecheck(): Promise<void> {
    const ids = [...this.bySession.keys()];
    if (ids.length === 0) return;
    const now = this.clock.nowMs();
    try {
      const alive = await this.store.remainingTtl(ids);
      for (const id of ids) {
        const tracked = this.bySession.get(id);
        if (!tracked) continue;
        const record = sessionStateOf(tracked.session).record;
        if (record && this.lifetime.isOver(record, now)) this.closeSession(id, SessionEndReason.absoluteTimeout);
        else if (!alive.has(id)) this.closeSession(id, (await this.store.goneReason(id).catch(() => undefined)) ?? SessionEndReason.ended);
      }
    } catch (error) {
      // The store is down: nothing is known, nothing is closed; the next run tries again.
      this.logger.warn(`Could not check the sessions of open WebSockets: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Listens to session events from the first upgrade on: until then, emitting an event costs nothing. */
  private listen(): void {
    if (this.stopListening || this.destroyed) return;
    this.stopListening = [this.events.onAny((event) => this.onEvent(event)), this.events.onMissedEvents(() => this.recheck())];
  }

  private onEvent(event: AxessSessionEvent): void {
    if (!ENDING_EVENT_TYPES.has(event.type)) return;
    // revokeEveryone's one event names no session: every tracked session ended.
    const everyone = event.sessionId === undefined && event.reason === SessionEndReason.revokedEveryone;
    for (const id of everyone ? [...this.bySession.keys()] : event.sessionId === undefined ? [] : [event.sessionId]) {
      this.remember(id, event.reason);
      this.closeSession(id, event.reason);
    }
  }

  /** Closes every socket of `sessionId` with 4001 and `reason`. */
  private closeSession(sessionId: string, reason: string): void {
    const tracked = this.bySession.get(sessionId);
    if (!tracked) return;
    this.bySession.delete(sessionId);
    for (const [socket, session] of tracked.sockets) {
      this.end(session, reason);
      this.closeQuietly(socket, SESSION_ENDED_CLOSE_CODE, closeReason(reason));
    }
    this.disarmTimerIfIdle();
  }

  private closeQuietly(socket: SessionSocket, code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch (error) {
      this.logger.warn(`Could not close a WebSocket: ${String(error)}`);
    }
  }

  /** The socket's session handle says it ended: the guards refuse its next message. */
  private end(session: AxessSession, reason: string): void {
    const state = sessionStateOf(session);
    state.forget();
    state.endedReason = reason;
  }

  private forget(sessionId: string, socket: SessionSocket): void {
    const tracked = this.bySession.get(sessionId);
    if (!tracked) return;
    tracked.sockets.delete(socket);
    if (tracked.sockets.size === 0) this.bySession.delete(sessionId);
    this.disarmTimerIfIdle();
  }

  private remember(sessionId: string, reason: string): void {
    const now = Date.now();
    this.recentlyEnded.set(sessionId, { reason, at: now });
    // Oldest first (insertion order): drop what is too old to matter.
    for (const [id, entry] of this.recentlyEnded) {
      if (now - entry.at <= RECENTLY_ENDED_MS) break;
      this.recentlyEnded.delete(id);
    }
  }

  /** Runs the session middleware on the upgrade request (no response goes out: the socket is the answer). */
  private async loadSession(request: IncomingMessage): Promise<void> {
    this.middleware ??= await this.moduleRef.create(AxessSessionMiddleware);
    await this.middleware.use(request, new ServerResponse(request), () => undefined);
  }

  private armTimer(): void {
    if (this.timer || this.recheckIntervalMs === 0 || this.bySession.size === 0) return;
    this.timer = setInterval(() => void this.recheck(), this.recheckIntervalMs);
    this.timer.unref();
  }

  private disarmTimerIfIdle(): void {
    if (this.bySession.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
