// Closed-loop load in one process: `concurrency` workers each await one operation at a time,
// for at most `durationMs` and at most `maxOps` operations (bounded either way).
import { performance } from 'node:perf_hooks';

/**
 * Runs `op(i, worker)` with `concurrency` operations in flight.
 * @returns ops/s over the whole run and latency percentiles in microseconds.
 */
export async function measure(op, { concurrency, durationMs, maxOps }) {
  const latencies = new Float64Array(maxOps);
  let started = 0;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  const worker = async (w) => {
    while (started < maxOps && performance.now() < deadline) {
      const i = started++;
      const s = performance.now();
      await op(i, w);
      latencies[i] = performance.now() - s;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsedMs = performance.now() - t0;
  const sorted = latencies.subarray(0, started).sort();
  return {
    ops: started,
    opsPerSec: started / (elapsedMs / 1000),
    p50Us: percentile(sorted, 0.5) * 1000,
    p99Us: percentile(sorted, 0.99) * 1000,
    meanUs: (sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)) * 1000,
  };
}

/** The value at quantile `q` of an ascending array. */
export function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Median of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
