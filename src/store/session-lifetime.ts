import type { SessionRecord } from '../codec/session-record.js';

/** Default sliding idle timeout: 24 hours. */
export const DEFAULT_IDLE_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** Default absolute lifetime: 7 days. */
export const DEFAULT_ABSOLUTE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;
/** Default idle timeout of a session stored before any sign-in: 15 minutes. */
export const DEFAULT_ANONYMOUS_IDLE_TIMEOUT_MS = 15 * 60 * 1000;
/** Longest a "why it ended" marker lives: 10 minutes (or the idle timeout, if shorter). */
export const GONE_MARKER_TTL_MS = 10 * 60_000;

/**
 * The timeouts of a session: idle (sliding, enforced by the record's expiry in the store; shorter
 * for a session no user signed into, so that anonymous visitors cannot pile up long-lived
 * records) and absolute (from `createdAt`, however active; enforced when the record is read).
 */
export class SessionLifetime {
  /**
   * How long the marker saying why a session ended is kept: long enough for the ended session's
   * next request, not long enough to pile up keys.
   */
  readonly goneMarkerTtlMs: number;

  constructor(
    readonly idleTimeoutMs: number,
    readonly absoluteTimeoutMs: number,
    readonly anonymousIdleTimeoutMs: number = idleTimeoutMs,
  ) {
    this.goneMarkerTtlMs = Math.min(GONE_MARKER_TTL_MS, idleTimeoutMs);
  }

  /** The idle timeout that applies to `record`: the anonymous one until a user is bound. */
  idleTimeoutFor(record: SessionRecord): number {
    return record.userId === undefined ? this.anonymousIdleTimeoutMs : this.idleTimeoutMs;
  }

  /** Epoch ms after which the session is over, whatever its activity. */
  deadline(record: SessionRecord): number {
    return record.createdAt + this.absoluteTimeoutMs;
  }

  /**
   * When the browser should drop the session's cookie, as of `nowMs`: `undefined` for a
   * browser-session cookie (the session chose `cookieMaxAgeMs: null`), else its chosen lifetime
   * or, by default, the absolute deadline; never past the deadline.
   */
  cookieExpiry(record: SessionRecord, nowMs: number): number | undefined {
    const chosen = record.cookieMaxAgeMs;
    if (chosen === null) return undefined;
    const deadline = this.deadline(record);
    return chosen === undefined ? deadline : Math.min(deadline, nowMs + chosen);
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
