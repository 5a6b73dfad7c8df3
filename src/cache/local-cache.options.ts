import { AxessOptionsError } from '../errors/axess-options.error.js';
import { assertWholeNumber } from '../errors/whole-number.js';

/**
 * The local session cache (`localCache` option): decoded session records kept in this process
 * and kept coherent by Valkey's server-assisted client-side caching, so that a request of a
 * session that has not changed sends nothing to Valkey. See docs/local-cache.md.
 */
export interface AxessLocalCacheOptions {
  /** Most sessions held; the least recently used go first. @default 10000 */
  maxEntries?: number;
  /** Most bytes held, counted as each record's MessagePack size (its heap footprint is a few times that). @default 16777216 (16 MiB) */
  maxBytes?: number;
  /**
   * Refresh a cached session's idle expiry in Valkey at most this often (`PEXPIRE`, which also
   * invalidates the other instances' copies). A session then expires between its idle timeout
   * minus this interval and its idle timeout after its last request. At most half the shorter
   * idle timeout. @default 1/20 of the shorter idle timeout (45 s with the defaults)
   */
  touchIntervalMs?: number;
  /**
   * The longest a copy may be served after the session changed on Valkey (a write, a logout, an
   * eviction or a revocation through another instance): copies are served only within this time
   * of the last heartbeat that confirmed tracking (sent every quarter of it, off the request
   * path), and the heartbeat's reply comes behind every invalidation sent before it. A silent
   * partition stops the serving within it; a change is usually seen within milliseconds. At
   * least 100. @default 1000
   */
  maxStalenessMs?: number;
}

/** The cache's settings after validation. */
export interface LocalCacheSettings {
  maxEntries: number;
  maxBytes: number;
  touchIntervalMs: number;
  maxStalenessMs: number;
}

/** Default `maxEntries`. */
export const DEFAULT_LOCAL_CACHE_ENTRIES = 10_000;
/** Default `maxBytes`: 16 MiB of MessagePack. */
export const DEFAULT_LOCAL_CACHE_BYTES = 16 * 1024 * 1024;
/** Default `touchIntervalMs`, as a fraction of the shorter idle timeout. */
export const DEFAULT_TOUCH_FRACTION = 1 / 20;
/** Default `maxStalenessMs`. */
export const DEFAULT_MAX_STALENESS_MS = 1_000;
/** Smallest `maxStalenessMs`: its heartbeats (four per period on every node) stay a trickle. */
export const MIN_MAX_STALENESS_MS = 100;

/**
 * Validates the `localCache` option: `undefined`, `null` or `false` → off; `true` → defaults; an
 * object → its fields over the defaults. `shortestIdleMs` is the shorter of the idle timeouts.
 */
export function resolveLocalCache(given: unknown, shortestIdleMs: number): LocalCacheSettings | undefined {
  if (given === undefined || given === null || given === false) return undefined;
  if (given !== true && (typeof given !== 'object' || Array.isArray(given))) {
    throw new AxessOptionsError(
      'localCache',
      'must be true, false, or an object { maxEntries?, maxBytes?, touchIntervalMs?, maxStalenessMs? }.',
    );
  }
  const { maxEntries, maxBytes, touchIntervalMs, maxStalenessMs } = given === true ? {} : (given as AxessLocalCacheOptions);
  const maxTouch = Math.floor(shortestIdleMs / 2);
  const touch = touchIntervalMs ?? Math.max(1, Math.floor(shortestIdleMs * DEFAULT_TOUCH_FRACTION));
  const settings = {
    maxEntries: wholeNumber('localCache.maxEntries', maxEntries ?? DEFAULT_LOCAL_CACHE_ENTRIES),
    maxBytes: wholeNumber('localCache.maxBytes', maxBytes ?? DEFAULT_LOCAL_CACHE_BYTES),
    touchIntervalMs: wholeNumber('localCache.touchIntervalMs', touch),
    maxStalenessMs: wholeNumber('localCache.maxStalenessMs', maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS, MIN_MAX_STALENESS_MS),
  };
  if (settings.touchIntervalMs > maxTouch) {
    throw new AxessOptionsError(
      'localCache.touchIntervalMs',
      `must be at most half the shorter idle timeout (${maxTouch} ms), or sessions in use could expire.`,
    );
  }
  return settings;
}

function wholeNumber(option: string, value: unknown, min = 1): number {
  assertWholeNumber(value, option, { min });
  return value;
}
