import { mintSessionId, type SessionStore } from '../../src/internal';

/** One save-then-load of a fresh session during a traffic run. */
export interface TrafficOp {
  id: string;
  startedAt: number;
  endedAt: number;
  /** `ok`: saved and read back; `lost`: saved, then read back as missing; `error`: a call threw. */
  outcome: 'ok' | 'lost' | 'error';
  /** Whether the save resolved (was acknowledged), whatever the load did after it. */
  saved: boolean;
  error?: unknown;
}

/**
 * Runs `workers` loops of save + load on fresh ids (from `nextId`) until `done(ops)` says so or
 * `maxMs` passes, whichever is first. Errors are recorded, never thrown: the point is to see
 * what the app would see while Valkey fails over.
 */
export async function runTraffic(options: {
  store: SessionStore;
  workers?: number;
  nextId?: () => string;
  maxMs: number;
  done: (ops: readonly TrafficOp[]) => boolean;
}): Promise<TrafficOp[]> {
  const { store, maxMs, done } = options;
  const nextId = options.nextId ?? mintSessionId;
  const ops: TrafficOp[] = [];
  const deadline = Date.now() + maxMs;
  let stop = false;
  const worker = async (w: number) => {
    for (let n = 0; !stop && Date.now() < deadline; n++) {
      const id = nextId();
      const startedAt = Date.now();
      const data = { worker: w, n };
      let saved = false;
      try {
        saved = await store.save(id, { data, createdAt: startedAt }, 60_000);
        const loaded = await store.load(id);
        if (loaded !== null && JSON.stringify(loaded.data) !== JSON.stringify(data))
          throw new Error(`read another session's data for ${id}`);
        ops.push({ id, startedAt, endedAt: Date.now(), outcome: loaded === null ? 'lost' : 'ok', saved });
      } catch (error) {
        ops.push({ id, startedAt, endedAt: Date.now(), outcome: 'error', saved, error });
        // Failing calls return fast; a short pause keeps the loop from spinning.
        await new Promise((r) => setTimeout(r, 20));
      }
      if (done(ops)) stop = true;
    }
  };
  await Promise.all(Array.from({ length: options.workers ?? 4 }, (_, w) => worker(w)));
  return ops;
}

/**
 * True once the last `streak` ops all succeeded, all started after `since`, and at least
 * `onTarget` of them satisfy `target` (e.g. hit the shard whose primary was killed).
 */
export function recovered(
  ops: readonly TrafficOp[],
  since: number,
  streak: number,
  onTarget: number,
  target: (op: TrafficOp) => boolean,
): boolean {
  if (ops.length < streak) return false;
  const tail = ops.slice(-streak);
  return tail.every((op) => op.outcome === 'ok' && op.startedAt > since) && tail.filter(target).length >= onTarget;
}

/** Collects unhandled promise rejections while a test runs. */
export function watchUnhandledRejections(): { rejections: unknown[]; stop(): void } {
  const rejections: unknown[] = [];
  const listener = (reason: unknown) => void rejections.push(reason);
  process.on('unhandledRejection', listener);
  return { rejections, stop: () => void process.removeListener('unhandledRejection', listener) };
}
