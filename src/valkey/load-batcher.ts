import type { ChainableCommander } from 'iovalkey';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { ValkeyClient } from './valkey-client.js';

/** A load that joined the next batch: its command and how its caller's promise settles. */
interface Queued {
  readonly key: string;
  readonly refreshTtlMs: number | undefined;
  readonly resolve: (bytes: Buffer | null) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Sends session loads (`GET key`, or `GETEX key PX ttl` when the expiry slides), batching them
 * only under load. Each command sent alone costs its own socket write (a system call): under
 * many concurrent requests that write is the largest single share of a `GET /me`'s CPU.
 *
 * - **Lone load**: with no load of this batcher awaiting its reply, the command is sent at once,
 *   exactly as a plain client call (no added latency; iovalkey's `enableAutoPipelining` would
 *   delay it by a tick).
 * - **Under load**: while at least one load awaits its reply, a new load cannot be answered
 *   before that reply anyway, so it joins a batch sent at `setImmediate` as one `pipeline()`:
 *   one socket write for all the loads that started in this turn of the event loop. Each load
 *   settles with its own reply.
 * - **Cluster**: keys live in different slots (a pipeline must stay in one), so each load is
 *   sent alone, as before.
 *
 * Rejections carry the client's own error (a per-command error reply, or what `exec` failed
 * with); the store wraps them as it wraps a lone command's.
 */
export class LoadBatcher {
  /** Loads sent or queued whose reply has not arrived yet. */
  private waiting = 0;
  private queued: Queued[] = [];
  private readonly batching: boolean;
  private readonly settled = (): void => {
    this.waiting--;
  };

  constructor(private readonly client: ValkeyClient) {
    this.batching = !client.isCluster;
  }

  /** The stored bytes at `key` (`null` when absent), sliding its expiry to `refreshTtlMs` when given. */
  load(key: string, refreshTtlMs: number | undefined): Promise<Buffer | null> {
    if (!this.batching) return this.send(key, refreshTtlMs);
    const reply = this.waiting === 0 ? this.send(key, refreshTtlMs) : this.enqueue(key, refreshTtlMs);
    this.waiting++;
    reply.then(this.settled, this.settled);
    return reply;
  }

  private enqueue(key: string, refreshTtlMs: number | undefined): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      // The first load of a batch schedules its write; the others of this turn join it.
      if (this.queued.push({ key, refreshTtlMs, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private send(key: string, refreshTtlMs: number | undefined): Promise<Buffer | null> {
    return refreshTtlMs === undefined ? this.client.getBuffer(key) : this.client.getexBuffer(key, 'PX', refreshTtlMs);
  }

  /** Sends the queued loads: alone if only one joined, else as one pipeline (one write). */
  private flush(): void {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 1) {
      const [only] = batch;
      this.send(only.key, only.refreshTtlMs).then(only.resolve, only.reject);
      return;
    }
    const pipeline = batch.reduce<ChainableCommander>(
      (p, { key, refreshTtlMs }) => (refreshTtlMs === undefined ? p.getBuffer(key) : p.getexBuffer(key, 'PX', refreshTtlMs)),
      this.client.pipeline(),
    );
    pipeline.exec().then(
      (results) => {
        batch.forEach(({ resolve, reject }, i) => {
          const result = results?.[i];
          if (result === undefined) reject(new SessionStoreError('connection', 'Valkey load failed: the pipeline did not run.'));
          else if (result[0]) reject(result[0]);
          else resolve(result[1] as Buffer | null);
        });
      },
      (error: unknown) => {
        for (const { reject } of batch) reject(error);
      },
    );
  }
}
