import type { SessionRecord } from '../codec/session-record.js';

/** Default sliding idle timeout: 30 minutes (NIST SP 800-63B AAL2). */
export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
/** Default absolute lifetime: 12 hours (NIST SP 800-63B AAL2). */
export const DEFAULT_ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
/** Default idle timeout of a session stored before any sign-in: 15 minutes. */
export const DEFAULT_ANONYMOUS_IDLE_TIMEOUT_MS = 15 * 60 * 1000;
/** Default idle timeout of a session signed in with "remember me": 7 days. */
export const DEFAULT_REMEMBERED_IDLE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;
/** Default absolute lifetime of a session signed in with "remember me": 30 days (NIST SP 800-63B AAL1). */
export const DEFAULT_REMEMBERED_ABSOLUTE_TIMEOUT_MS = 30 * 24 * 60 * 60 * 1000;

/** The timeouts of sessions signed in with "remember me". */
export interface RememberedTimeouts {
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
}

/** Longest a "why it ended" marker lives: 10 minutes (or the idle timeout, if shorter). */
export const GONE_MARKER_TTL_MS = 10 * 60_000;

/**
 * The timeouts of a session: idle (sliding, enforced by the record's expiry in the store; shorter
 * for a session no user signed into, so that anonymous visitors cannot pile up long-lived
 * records) and absolute (from `createdAt`, however active; enforced when the record is read).
 * A session signed in with "remember me" (`record.remembered`) has timeouts of its own.
 */
export class SessionLifetime {
  /** The timeouts of remembered sessions. */
  readonly remembered: RememberedTimeouts;

  /**
   * How long the marker saying why a session ended is kept: long enough for the ended session's
   * next request, not long enough to pile up keys.
   */
  readonly goneMarkerTtlMs: number;

  constructor(
    readonly idleTimeoutMs: number,
    readonly absoluteTimeoutMs: number,
    readonly anonymousIdleTimeoutMs: number = idleTimeoutMs,
    remembered?: RememberedTimeouts,
  ) {
    this.remembered = remembered ?? { idleTimeoutMs, absoluteTimeoutMs };
    this.goneMarkerTtlMs = Math.min(GONE_MARKER_TTL_MS, idleTimeoutMs);
  }

  /** The idle timeout that applies to `record`: the anonymous one until a user is bound, the remembered one after "remember me". */
  idleTimeoutFor(record: SessionRecord): number {
    if (record.userId === undefined) return this.anonymousIdleTimeoutMs;
    return record.remembered ? this.remembered.idleTimeoutMs : this.idleTimeoutMs;
  }

  /** Epoch ms after which the session is over, whatever its activity. */
  deadline(record: SessionRecord): number {
    return record.createdAt + (record.remembered ? this.remembered.absoluteTimeoutMs : this.absoluteTimeoutMs);
  }

  /**
   * When the browser should drop the session's cookie, as of `nowMs`: `undefined` for a
   * browser-session cookie (no `Max-Age`), else a moment never past the absolute deadline. By
   * default a session's cookie is a browser-session one and a remembered session's lasts until
   * its deadline; `cookieMaxAgeMs` (null: browser session, ms: persistent) overrides both.
   */
  cookieExpiry(record: SessionRecord, nowMs: number): number | undefined {
    const chosen = record.cookieMaxAgeMs;
    if (chosen === null) return undefined;
    const deadline = this.deadline(record);
    if (chosen === undefined) return record.remembered ? deadline : undefined;
    return Math.min(deadline, nowMs + chosen);
  }

  /** True once the absolute deadline has passed. */
  isOver(record: SessionRecord, nowMs: number): boolean {
    return nowMs >= this.deadline(record);
  }

  /** Time to live of a write at `nowMs`: the record's idle timeout, cut at the absolute deadline (≤ 0: over). */
  ttl(record: SessionRecord, nowMs: number): number {
    return Math.min(this.idleTimeoutFor(record), Math.floor(this.deadline(record) - nowMs));
  }
}
