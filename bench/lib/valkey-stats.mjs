// Server-side counters, read on a dedicated admin connection: commands per operation from
// `INFO commandstats` deltas, round trips per operation from the server's read events
// (`total_reads_processed`): at one operation in flight, each round trip is one batch the server
// reads, however many commands it carries.
import { Redis } from 'iovalkey';

/** Reads counters from `url` without touching the clients under test. */
export class ValkeyStats {
  constructor(url) {
    this.admin = new Redis(url, { enableAutoPipelining: false, lazyConnect: false });
  }

  /** Server read events and per-command call counts (INFO itself excluded). */
  async snapshot() {
    const text = await this.admin.info('stats', 'commandstats');
    const reads = Number(/total_reads_processed:(\d+)/.exec(text)[1]);
    const calls = {};
    for (const [, name, n] of text.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) {
      if (name !== 'info') calls[name] = Number(n);
    }
    return { reads, calls };
  }

  /**
   * Runs `ops` operations one at a time and returns round trips and commands per operation,
   * plus which commands ran. The snapshot's own INFO read is subtracted.
   */
  async perOperation(op, ops) {
    const before = await this.snapshot();
    for (let i = 0; i < ops; i++) await op(i, 0);
    // Let fire-and-forget work (none expected) land before reading the counters.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const after = await this.snapshot();
    const mix = {};
    let commands = 0;
    for (const [name, n] of Object.entries(after.calls)) {
      const delta = n - (before.calls[name] ?? 0);
      if (delta > 0) {
        mix[name] = delta / ops;
        commands += delta;
      }
    }
    return { roundTrips: (after.reads - before.reads - 1) / ops, commands: commands / ops, mix };
  }

  /** `MEMORY USAGE key SAMPLES 0`: bytes Valkey spends on the key, its value and overhead. */
  async memoryUsage(key) {
    return Number(await this.admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  }

  /** The server's process id (to pin it to a core). */
  async pid() {
    return Number(/process_id:(\d+)/.exec(await this.admin.info('server'))[1]);
  }

  async close() {
    await this.admin.quit();
  }
}
