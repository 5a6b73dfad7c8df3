import { HttpException, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Clock } from '../clock/clock.js';
import { AxessSessionEvents } from '../events/axess-session-events.service.js';
import { ENDING_EVENT_TYPES, SessionEndReason, type AxessSessionEvent } from '../events/session-event.types.js';
import type { AxessSession } from '../http/axess-session.js';
import { attachAxessSession, findAxessSession } from '../http/session-request.js';
import { sessionStateOf } from '../http/session-state.js';
import { AxessSessionMiddleware } from '../http/session.middleware.js';
import { SessionLifetime } from '../store/session-lifetime.js';
import { SessionStore } from '../store/session-store.js';

/** The close code of a socket whose session ended (the reason says why, e.g. `revoked`). */
export const SESSION_ENDED_CLOSE_CODE = 4001;

/** Longest WebSocket close reason: 123 bytes of UTF-8. */
const MAX_CLOSE_REASON_BYTES = 123;

/** How long an ended session is remembered for a socket that opens just after (its upgrade read the session before it ended). */
const RECENTLY_ENDED_MS = 60_000;

/** @default 60 s: how often open sockets' sessions are checked against the store. */
export const DEFAULT_RECHECK_INTERVAL_MS = 60_000;

/** What the library needs of a socket (`ws`'s WebSocket has it). */
export interface SessionSocket {
  /** Closes the socket with a close code and reason. */
  close(code?: number, reason?: string): void;
  /** Calls `listener` once the socket has closed. */
  once(event: 'close', listener: () => void): unknown;
}

/** Which `Origin` may open a socket: a list of origins (`https://app.example.com`), or a function. */
export type AllowedOrigins = readonly string[] | ((origin: string | undefined, request: IncomingMessage) => boolean);

/** An upgrade request that may open a socket. */
export interface UpgradeAccepted {
  /** The upgrade may go on. */
  accept: true;
  /** The signed-in session the socket will carry. */
  session: AxessSession;
}

/** An upgrade request answered with an HTTP error instead of a socket. */
export interface UpgradeRefused {
  /** No socket opens. */
  accept: false;
  /** 403 (Origin), 401 (no live signed-in session), 503 (store unavailable) or 500. */
  status: 401 | 403 | 500 | 503;
  /** The JSON body of the answer, e.g. `{ statusCode: 401, message: 'Unauthorized', reason: 'revoked' }`. */
  body: Record<string, unknown>;
}

/** The answer to an upgrade request. */
export type UpgradeDecision = UpgradeAccepted | UpgradeRefused;

interface Tracked {
  sockets: Set<SessionSocket>;
  session: AxessSession;
}

/**
 * The WebSocket side of sessions, for `AxessWsAdapter` (`@axess/nestjs-session/ws`) and any
 * adapter of your own:
 * - `verifyUpgrade`: an upgrade is accepted only from a same-origin page (`Origin`: cross-site
 *   WebSocket hijacking) with the cookie of a live signed-in session, loaded by the session
 *   middleware itself (one read, which slides the idle timeout like a request);
 * - `admit`: the socket gets the session (`@CurrentSession()`, the guards) and is tracked;
 * - a tracked socket whose session ends, on this instance or any other (events relayed through
 *   Valkey), is closed at once with code 4001 and the ended reason (`revoked`,
 *   `evicted:newer-sign-in`, `logged-out`, ...);
 * - after events may have been missed (the subscription was re-established), and every
 *   `recheckIntervalMs`, the sessions of open sockets are checked against the store, so that a
 *   lost message, an idle expiry or the absolute timeout closes them too.
 * A socket's session is the one its upgrade loaded: changes a handler makes to it are not saved
 * (no response carries them); change sessions over HTTP.
 */
@Injectable()
export class AxessWebSocketSessions implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AxessSession');
  private readonly bySession = new Map<string, Tracked>();
  private readonly recentlyEnded = new Map<string, { reason: string; at: number }>();
  private middleware: AxessSessionMiddleware | undefined;
  private stopListening: Array<() => void> = [];
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

  /** Listens to session events (local and from other instances). @internal */
  onModuleInit(): void {
    this.stopListening = [this.events.onAny((event) => this.onEvent(event)), this.events.onMissedEvents(() => this.recheck())];
  }

  /** Stops listening and checking. @internal */
  onModuleDestroy(): void {
    for (const stop of this.stopListening) stop();
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
    let count = 0;
    for (const tracked of this.bySession.values()) count += tracked.sockets.size;
    return count;
  }

  /**
   * Decides an upgrade: 403 for an `Origin` that is not allowed (by default: none, or another
   * origin than this server's own, scheme, host and port), 401 without a live signed-in session
   * (with `reason` when the server knows why it ended), 503 when the store does not answer. An
   * accepted request carries its session (`getAxessSession(request)`).
   */
  async verifyUpgrade(request: IncomingMessage, allowedOrigins?: AllowedOrigins): Promise<UpgradeDecision> {
    if (!originAllowed(request, allowedOrigins)) {
      return { accept: false, status: 403, body: { statusCode: 403, message: 'Cross-origin WebSocket refused.' } };
    }
    try {
      await this.loadSession(request);
    } catch (error) {
      if (error instanceof HttpException && error.getStatus() === 503) {
        return { accept: false, status: 503, body: { statusCode: 503, message: 'Service Unavailable' } };
      }
      this.logger.error(`Could not load the session of a WebSocket upgrade: ${error instanceof Error ? error.message : String(error)}`);
      return { accept: false, status: 500, body: { statusCode: 500, message: 'Internal server error' } };
    }
    const session = findAxessSession(request);
    if (!session?.isAuthenticated || session.id === undefined) {
      const reason = session?.endedReason;
      return {
        accept: false,
        status: 401,
        body: { statusCode: 401, message: 'Unauthorized', ...(reason === undefined ? {} : { reason }) },
      };
    }
    return { accept: true, session };
  }

  /**
   * Gives an opened socket the session its upgrade loaded and tracks it until it closes. A
   * session that ended while the socket was opening closes it at once.
   */
  admit(socket: SessionSocket, request: IncomingMessage): void {
    const session = findAxessSession(request);
    const id = session?.id;
    if (!session || id === undefined) {
      socket.close(SESSION_ENDED_CLOSE_CODE, SessionEndReason.ended);
      return;
    }
    attachAxessSession(socket, session);
    const ended = this.recentlyEnded.get(id);
    if (ended) {
      this.end(session, ended.reason);
      socket.close(SESSION_ENDED_CLOSE_CODE, closeReason(ended.reason));
      return;
    }
    let tracked = this.bySession.get(id);
    if (!tracked) this.bySession.set(id, (tracked = { sockets: new Set(), session }));
    tracked.sockets.add(socket);
    socket.once('close', () => this.forget(id, socket));
    this.armTimer();
  }

  /**
   * Checks the sessions of every open socket against the store now: sockets whose session is gone
   * (or past its absolute timeout) are closed with the reason the store still knows, else
   * `ended`. Runs after missed events and every `recheckIntervalMs`; concurrent calls share a run.
   */
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

  private onEvent(event: AxessSessionEvent): void {
    if (!ENDING_EVENT_TYPES.has(event.type) || event.sessionId === undefined) return;
    this.remember(event.sessionId, event.reason);
    this.closeSession(event.sessionId, event.reason);
  }

  /** Closes every socket of `sessionId` with 4001 and `reason`. */
  private closeSession(sessionId: string, reason: string): void {
    const tracked = this.bySession.get(sessionId);
    if (!tracked) return;
    this.bySession.delete(sessionId);
    this.end(tracked.session, reason);
    for (const socket of tracked.sockets) {
      try {
        socket.close(SESSION_ENDED_CLOSE_CODE, closeReason(reason));
      } catch (error) {
        this.logger.warn(`Could not close a WebSocket whose session ended: ${String(error)}`);
      }
    }
    this.disarmTimerIfIdle();
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

/** `reason`, cut to what a close frame can carry. */
function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  return Buffer.from(reason)
    .subarray(0, MAX_CLOSE_REASON_BYTES)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
}

/** Whether the upgrade's `Origin` may open a socket. */
export function originAllowed(request: IncomingMessage, allowed: AllowedOrigins | undefined): boolean {
  const origin = request.headers.origin;
  if (typeof allowed === 'function') return allowed(origin, request);
  if (typeof origin !== 'string') return false;
  let given: string;
  try {
    given = new URL(origin).origin;
  } catch {
    return false;
  }
  if (allowed !== undefined) return allowed.some((entry) => sameOrigin(entry, given));
  // This server's own origin, as this connection reached it (behind a TLS proxy, list the public origin).
  const scheme = (request.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http';
  const host = request.headers.host;
  return typeof host === 'string' && sameOrigin(`${scheme}://${host}`, given);
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === b;
  } catch {
    return false;
  }
}
