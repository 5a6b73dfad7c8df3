import type { CheckResult } from './checker';
import type { FaultKind, FaultRecord, Operation } from './history';

/** The p-th percentile (0-100) of `values`, nearest rank; 0 for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]);
}

const FAILED = new Set(['unavailable', 'down', 'error', 'timeout']);

/**
 * Recovery after each fault: from its injection to the end of the last failed operation invoked
 * after it and finished before the next fault began (0 when none failed). It includes the fault's own duration (a pause, a
 * partition) and the time the system took to serve again after it.
 */
export function recoveryTimes(faults: readonly FaultRecord[], operations: readonly Operation[]): Array<{ kind: FaultKind; ms: number }> {
  const sorted = [...faults].sort((a, b) => a.start - b.start);
  return sorted.map((fault, i) => {
    const next = sorted[i + 1]?.start ?? Infinity;
    let last = fault.start;
    for (const op of operations) {
      // Failures that outlast the next fault's start are that fault's as much as this one's: left out.
      if (op.start >= fault.start && op.end <= next && FAILED.has(op.outcome)) last = Math.max(last, op.end);
    }
    return { kind: fault.kind, ms: Math.round(last - fault.start) };
  });
}

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

/** The run's summary: the JSON object `npm run chaos` prints last. */
/** The largest value, 0 for none (a spread of a long run's values would overflow the call stack). */
const largest = (values: readonly number[]): number => values.reduce((a, b) => Math.max(a, b), 0);

export function summarize(
  run: { topology: string; seed: number; minutes: number; durableWrites: boolean; elapsedMs: number; historyFile?: string },
  operations: readonly Operation[],
  faults: readonly FaultRecord[],
  check: CheckResult,
) {
  const recovery = recoveryTimes(faults, operations);
  const byKind: Record<string, { p50: number; p99: number; max: number }> = {};
  for (const kind of new Set(recovery.map((r) => r.kind))) {
    const ms = recovery.filter((r) => r.kind === kind).map((r) => r.ms);
    byKind[kind] = { p50: percentile(ms, 50), p99: percentile(ms, 99), max: largest(ms) };
  }
  const latencies = operations.map((op) => op.end - op.start);
  return {
    topology: run.topology,
    seed: run.seed,
    minutes: run.minutes,
    durableWrites: run.durableWrites,
    elapsedMs: Math.round(run.elapsedMs),
    operations: operations.length,
    outcomes: countBy(operations, (op) => op.outcome),
    byOperation: countBy(operations, (op) => op.op),
    faults: countBy(faults, (f) => f.kind),
    faultsFailed: faults.filter((f) => f.detail.startsWith('failed')).length,
    violations: check.counts,
    staleCacheReads: check.staleCacheReads.length,
    recoveryMs: {
      p50: percentile(
        recovery.map((r) => r.ms),
        50,
      ),
      p99: percentile(
        recovery.map((r) => r.ms),
        99,
      ),
      byKind,
    },
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.round(largest(latencies)) },
    examples: [...check.violations, ...check.staleCacheReads].slice(0, 10).map((v) => `${v.guarantee}: ${v.message}`),
    ...(run.historyFile ? { historyFile: run.historyFile } : {}),
  };
}
