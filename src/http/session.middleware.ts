import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Clock } from '../clock/clock.js';
import type { SessionRecord } from '../codec/session-record.js';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { SessionEndReason } from '../events/session-event.types.js';
import { AxessSessionEvents } from '../events/axess-session-events.service.js';
import { SessionLifetime } from '../store/session-lifetime.js';
import { SessionStore } from '../store/session-store.js';
import { AxessSession } from './axess-session.js';
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
  ) {
    if (!cookie.configured) {
      throw new AxessOptionsError('signingKey', 'is required by AxessSessionMiddleware: 32 random bytes (e.g. `openssl rand -base64 32`).');
    }
  }

  /**
   * Loads the session of the request's signed cookie (one read that also slides the idle expiry), attaches it to the
   * request, and arranges for a changed session to be saved as the response goes out.
   */
  async use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): Promise<void> {
    const raw = rawRequest(req);
    // Mounted twice (module and app): the first load stands.
    if (findAxessSession(raw)) return next();
    const { id, forged } = this.cookie.inspect(raw.headers.cookie);
    if (forged) this.events.emit({ type: 'rejected', reason: 'bad-signature' });
    const loaded = id === undefined ? { record: null } : await this.load(id);
    const record = loaded.record;
    const state = new SessionState(record ? id : undefined, record ?? undefined, this.nowMs, raw);
    state.endedReason = loaded.endedReason;
    attachAxessSession(raw, new AxessSession(state));
    commitOnResponse(res, state, this.committer);
    next();
  }

  private async load(id: string): Promise<{ record: SessionRecord | null; endedReason?: string }> {
    const record = await this.read(id);
    if (record === 'expired') return { record: null, endedReason: SessionEndReason.absoluteTimeout };
    if (record) return { record };
    // Only a missing session pays for this second read: the normal path stays one round trip.
    try {
      return { record: null, endedReason: await this.store.goneReason(id) };
    } catch (error) {
      // The reason is a courtesy: without it the request is still one without a session.
      this.logger.warn(`Could not read why a session ended: ${String(error)}`);
      return { record: null };
    }
  }

  private async read(id: string): Promise<SessionRecord | null | 'expired'> {
    let record: SessionRecord | null;
    try {
      // Sliding expiry in the same round trip as the read. The absolute deadline is unknown
      // until the record is read; a record refreshed past it is refused below, never served.
      record = await this.store.load(id, { refreshTtlMs: this.lifetime.idleTimeoutMs });
    } catch (error) {
      throw asServiceUnavailable(error);
    }
    if (record && this.lifetime.isOver(record, this.clock.nowMs())) {
      // Fire and forget: the request does not wait for the cleanup, and a failure only leaves
      // a record that is refused again until its idle expiry.
      this.store
        .delete(id)
        .catch((error: unknown) => this.logger.warn(`Could not delete a session past its absolute timeout: ${String(error)}`));
      this.events.emit({ type: 'expired-on-access', userId: record.userId, sessionId: id, reason: SessionEndReason.absoluteTimeout });
      return 'expired';
    }
    return record;
  }
}
