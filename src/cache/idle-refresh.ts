import type { Clock } from '../clock/clock.js';
import type { SessionRecord } from '../codec/session-record.js';
import type { SessionLifetime } from '../store/session-lifetime.js';

/**
 * When the local cache slides a session's idle expiry. With `refreshTtlMs`, the record's time to
 * live is set to the idle timeout that applies to it (the anonymous one before a sign-in,
 * `refreshTtlMs` after), cut at its absolute deadline, but only when the time to live Valkey holds
 * has fallen more than `touchIntervalMs` below that: one `PEXPIRE` per session per interval, since
 * every refresh modifies the key and invalidates the other instances' copies. Expiry instants are
 * monotonic ms: when Valkey expires the key, counted from when the command that set it was sent.
 */
export class IdleRefresh {
  constructor(
    private readonly lifetime: SessionLifetime,
    private readonly clock: Clock,
    private readonly touchIntervalMs: number,
  ) {}

  /** The time to live a read slides `record` to, or `undefined` past its absolute deadline (the caller refuses it). */
  slideTtl(record: SessionRecord, refreshTtlMs: number): number | undefined {
    const ttl = this.lifetime.ttl(record, this.clock.nowMs());
    // A remembered session slides to its own, longer idle timeout (as the middleware sets it after a read).
    return ttl < 1 ? undefined : record.remembered ? ttl : Math.min(refreshTtlMs, ttl);
  }

  /** Whether a key Valkey expires at `expiresAt` (`undefined`: not known) is due for a refresh to `slideMs` at `now`. */
  due(expiresAt: number | undefined, slideMs: number, now: number): boolean {
    return expiresAt === undefined || expiresAt < now + slideMs - this.touchIntervalMs;
  }

  /**
   * Whether setting the time to live to `ttlMs` can be skipped: Valkey's is already within the
   * touch interval below it (and not above it). The anonymous-session shortening the middleware
   * asks for on each request then costs nothing once done.
   */
  alreadySet(expiresAt: number, ttlMs: number, now: number): boolean {
    return expiresAt > now && expiresAt <= now + ttlMs && expiresAt >= now + ttlMs - this.touchIntervalMs;
  }
}
