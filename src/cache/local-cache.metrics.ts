import type { Attributes, Meter } from '@opentelemetry/api';

/** Cumulative counts of a local cache, for metrics (read by observable counters when metrics are collected). */
export interface LocalCacheStats {
  /** Loads answered from the cache (a touch may have gone to the store). */
  hits: number;
  /** Loads of a session not in the cache, read through to the store. */
  misses: number;
  /** Loads read through while the cache could not be trusted (no confirmed tracking). */
  bypassed: number;
  /** Idle-expiry refreshes sent for cached sessions (at most one per session per touch interval). */
  touches: number;
  /** Sessions whose copy was dropped because the store said it changed. */
  invalidations: number;
  /** Times every copy was dropped (coherence lost, or the data set flushed). */
  flushes: number;
}

/** The local cache's instruments: observable counters read from its cumulative counts when metrics are collected. */
export const LOCAL_CACHE_METRICS = {
  /** Loads answered from the cache. */
  hits: 'axess.cache.hits',
  /** Loads read through to Valkey; `reason`: `absent` (not held) or `bypassed` (tracking not confirmed). */
  misses: 'axess.cache.misses',
  /** Idle-expiry refreshes (`PEXPIRE`) the cache sent for sessions it held or read: at most one per session per touch interval. */
  touches: 'axess.cache.touches',
  /** Copies dropped because Valkey announced a change to their key. */
  invalidations: 'axess.cache.invalidations',
  /** Times every copy was dropped: tracking lost (a connection, a node, a heartbeat), or the data set flushed. */
  flushes: 'axess.cache.flushes',
} as const;

const ABSENT: Attributes = Object.freeze({ reason: 'absent' });
const BYPASSED: Attributes = Object.freeze({ reason: 'bypassed' });

/** The caches observed through each meter: instruments are created once per meter and report the sum of its caches. */
const observed = new WeakMap<Meter, Set<Readonly<LocalCacheStats>>>();

/**
 * Registers the cache's counts on `meter`: nothing runs on a request, the counts are read when the
 * SDK collects (a no-op meter, when metrics are off, never asks). Several caches on one meter (two
 * module instances in one app) are reported together.
 */
export function observeLocalCache(meter: Meter, stats: Readonly<LocalCacheStats>): void {
  const known = observed.get(meter);
  if (known) {
    known.add(stats);
    return;
  }
  const all = new Set([stats]);
  observed.set(meter, all);
  const sum = (count: (s: Readonly<LocalCacheStats>) => number) => [...all].reduce((total, s) => total + count(s), 0);
  const counters: Array<[string, string, (s: Readonly<LocalCacheStats>) => number]> = [
    [LOCAL_CACHE_METRICS.hits, 'Session loads answered from the local cache.', (s) => s.hits],
    [
      LOCAL_CACHE_METRICS.touches,
      'Idle-expiry refreshes the local cache sent to Valkey (at most one per session per touchIntervalMs).',
      (s) => s.touches,
    ],
    [LOCAL_CACHE_METRICS.invalidations, 'Local copies dropped on a change announced by Valkey.', (s) => s.invalidations],
    [
      LOCAL_CACHE_METRICS.flushes,
      'Times the local cache was flushed: Valkey tracking lost or unconfirmed, or the data set flushed.',
      (s) => s.flushes,
    ],
  ];
  for (const [name, description, count] of counters) {
    meter.createObservableCounter(name, { description }).addCallback((result) => result.observe(sum(count)));
  }
  meter
    .createObservableCounter(LOCAL_CACHE_METRICS.misses, {
      description: 'Session loads read through to Valkey: absent from the local cache, or the cache bypassed.',
    })
    .addCallback((result) => {
      result.observe(
        sum((s) => s.misses),
        ABSENT,
      );
      result.observe(
        sum((s) => s.bypassed),
        BYPASSED,
      );
    });
}
