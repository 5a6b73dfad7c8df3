import { Injectable, Logger, Optional, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Clock } from '../clock/clock.js';
import type { SessionRecord } from '../codec/session-record.js';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { StoreFailureLog } from '../errors/store-failure.log.js';
import { SessionEndReason } from '../events/session-event.types.js';
import { AxessSessionEvents } from '../events/axess-session-events.service.js';
import { SessionLifetime } from '../store/session-lifetime.js';
import { SessionStore } from '../store/session-store.js';
import { AxessTelemetry } from '../telemetry/axess-telemetry.js';
import { AxessSession } from './axess-session.js';
import { LegacySessionImport } from './legacy-session-import.js';
import { PendingAdmission } from './pending-admission.js';
import { DEFAULT_RESPONSE_CACHE_POLICY, presetNoStore, ResponseCachePolicy } from './response-cache-policy.js';
import { commitOnResponse } from './response-commit.js';
import { SessionCommitter } from './session-committer.js';
import { SessionCookie } from './session-cookie.js';
import { attachAxessSession, findAxessSession, rawRequest } from './session-request.js';
import { SessionState } from './session-state.js';
import { asServiceUnavailable } from './store-unavailable.js';

/**
 * Loads the request's session from its signed cookie in one round trip (read + sliding idle
 * expiry) and attaches an `AxessSession` for `@CurrentSession()`. A cookie that does not verify, or
 * names no live session, is ignored: the request starts an empty session, which gets a fresh
 * id only if something is stored. Changes are written when the response goes out
 * (`commitOnResponse`): requests whose session did not change pay nothing more.
 *
 * The module mounts it on every route; with `mountMiddleware: false`, mount it yourself:
 * @example
 * export class AppModule implements NestModule {
 *   configure(consumer: MiddlewareConsumer) {
 *     consumer.apply(AxessSessionMiddleware).forRoutes('{*path}');
 *   }
 * }
 */
@Injectable()
export class AxessSessionMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly logger = new Logger('AxessSession');
  /** One function for every request's state (no closure per request). */
  private readonly nowMs = (): number => this.clock.nowMs();

  /** Created by Nest's injector from the module's providers. @internal */
  constructor(
    private readonly store: SessionStore,
    private readonly clock: Clock,
    private readonly lifetime: SessionLifetime,
    private readonly cookie: SessionCookie,
    private readonly events: AxessSessionEvents,
    private readonly committer: SessionCommitter,
    private readonly failures: StoreFailureLog,
    private readonly telemetry: AxessTelemetry,
    /** The import of the previous session library's sessions (`migrateFrom`), if any. */
    @Optional() private readonly legacy?: LegacySessionImport,
    /** Which cache headers signed-in responses get (`noStoreAuthenticated`). */
    @Optional() private readonly cachePolicy: ResponseCachePolicy = DEFAULT_RESPONSE_CACHE_POLICY,
    /** Registers a session a `failOpen` login let through unregistered. */
    @Optional() private readonly pendingAdmission?: PendingAdmission,
  ) {
    if (!cookie.configured) {
      throw new AxessOptionsError('signingKey', 'is required by AxessSessionMiddleware: 32 random bytes (e.g. `openssl rand -base64 32`).');
    }
  }

  /** Loads and attaches the request's session; a changed session is saved as the response goes out. */
  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): Promise<void> {
    // One promise, no async frame of its own; a failure rejects, as before (a store failure is a 503).
    return this.attach(rawRequest(req), res).then(next);
  }

  /** `use` without `next`, for the module's native Fastify hook; rejects on a backend failure (503). @internal */
  async attach(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    // Mounted twice (module and app): the first load stands.
    if (findAxessSession(raw)) return;
    const { ids, forged, rejected } = this.cookie.inspect(raw.headers.cookie, raw);
    if (forged) {
      this.events.emit({ type: 'rejected', reason: 'bad-signature' });
      for (const reason of rejected!) this.telemetry.cookieRejected(reason);
    }
    const loaded = ids.length === 0 ? NO_SESSION : await this.load(ids);
    if (loaded.record?.pendingAdmission !== undefined) await this.pendingAdmission?.complete(loaded.id!, loaded.record);
    const state = new SessionState(loaded.id, loaded.record, this.nowMs, raw);
    state.endedReason = loaded.endedReason;
    attachAxessSession(raw, new AxessSession(state));
    commitOnResponse(res, state, this.committer);
    // A signed-in response must not be cached (ASVS 8.2.1); set before the handler, so the app's own Cache-Control wins.
    if (loaded.record?.userId !== undefined && this.cachePolicy.noStoreAuthenticated) presetNoStore(res);
    // No live session: a cookie of the session library the app used before may name one to import.
    if (!loaded.record && this.legacy?.applies(raw)) await this.legacy.importInto(raw, res);
  }

  /** The first of `ids` (in the header's order) that names a live session. */
  private async load(ids: readonly string[]): Promise<Loaded> {
    let endedReason: string | undefined;
    for (const id of ids) {
      const record = await this.read(id);
      if (record === 'expired') {
        endedReason ??= SessionEndReason.absoluteTimeout;
        this.telemetry.cookieRejected('expired:absolute-timeout');
      } else if (record) return { id, record };
      else this.telemetry.cookieRejected('unknown-session');
    }
    if (endedReason !== undefined) return { endedReason };
    try {
      return { endedReason: await this.whyGone(ids[0]) };
    } catch (error) {
      // The reason is a courtesy: without it the request is still one without a session.
      this.logger.warn(`Could not read why a session ended: ${String(error)}`);
      return NO_SESSION;
    }
  }

  /** Why a verified cookie's session is gone: its marker, else an idle timeout, marked so it is reported once. */
  private async whyGone(id: string): Promise<string | undefined> {
    // A record that exists but could not be read (e.g. a key this instance lacks) is not an expiry.
    const [known, present] = await Promise.all([this.store.goneReason(id), this.store.existing([id])]);
    if (known !== undefined || present.size > 0) return known;
    const reason = SessionEndReason.idleTimeout;
    await this.store.markGone([id], reason, this.lifetime.goneMarkerTtlMs);
    this.events.emit({ type: 'expired-on-access', sessionId: id, reason });
    this.telemetry.sessionsEnd(reason);
    return reason;
  }

  private async read(id: string): Promise<SessionRecord | null | 'expired'> {
    let record: SessionRecord | null;
    try {
      // Sliding expiry in the same round trip; a record refreshed past its absolute deadline is refused below.
      record = await this.store.load(id, { refreshTtlMs: this.lifetime.idleTimeoutMs });
    } catch (error) {
      throw asServiceUnavailable(error, this.failures, 'a session read');
    }
    if (!record) return null;
    const now = this.clock.nowMs();
    if (this.lifetime.isOver(record, now)) {
      // Not awaited: a failure only leaves a record that is refused again until its idle expiry.
      this.store
        .markGone([id], SessionEndReason.absoluteTimeout, this.lifetime.goneMarkerTtlMs)
        .catch((error: unknown) => this.logger.warn(`Could not delete a session past its absolute timeout: ${String(error)}`));
      this.events.emit({ type: 'expired-on-access', userId: record.userId, sessionId: id, reason: SessionEndReason.absoluteTimeout });
      this.telemetry.sessionsEnd(SessionEndReason.absoluteTimeout);
      return 'expired';
    }
    if (this.lifetime.idleTimeoutFor(record) !== this.lifetime.idleTimeoutMs) {
      // The read slid the signed-in idle timeout; an anonymous or remembered session keeps its own (not awaited).
      this.store
        .expire(id, Math.max(1, this.lifetime.ttl(record, now)))
        .catch((error: unknown) => this.logger.warn(`Could not set a session's own idle expiry: ${String(error)}`));
    }
    return record;
  }
}

/** What the middleware found for the request's cookies. */
interface Loaded {
  id?: string;
  record?: SessionRecord;
  endedReason?: string;
}

const NO_SESSION: Loaded = {};
