import type { Logger } from '@nestjs/common';
import { rmSync } from 'node:fs';
import { Redis } from 'iovalkey';
import { mintSessionId, ValkeySessionStore, type SessionRecord } from '../../src/internal';
// The process launcher itself: the public test server has no crash (SIGKILL), only a clean stop,
// and a clean stop flushes the AOF whatever the fsync policy, which would prove nothing.
import { launchValkeyProcess, type ValkeyProcess } from '../../src/testing/valkey-process';
import { randomKey, uniquePrefix } from '../harness/valkey';

/**
 * With AOF on, a Valkey process killed outright (SIGKILL, no shutdown) mid-traffic loses no
 * session whose save had been acknowledged: every save that resolved before the crash loads
 * after a restart on the same data directory.
 *
 * - `appendfsync always`: the reply is sent only after the write is fsynced; this holds for an
 *   OS crash or power loss as well.
 * - `appendfsync everysec`: the write reaches the kernel before the reply, so a process crash
 *   loses nothing (what this test can show); an OS crash or power loss can lose the last ~1 s
 *   of acknowledged writes (up to ~2 s when the disk stalls an fsync).
 */

const quiet = { warn: () => undefined, error: () => undefined, log: () => undefined } as unknown as Logger;
const TTL = 600_000;
const record = (n: number): SessionRecord => ({ data: { n, note: 'durable' }, createdAt: 1_900_000_000_000 });

describe.each(['always', 'everysec'])('AOF with appendfsync %s: a crash loses no acknowledged session', (fsync) => {
  let server: ValkeyProcess | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every save acknowledged before a SIGKILL mid-traffic loads after the restart', async () => {
    const args = ['--appendonly', 'yes', '--appendfsync', fsync];
    server = await launchValkeyProcess({ args });
    dir = server.dir;
    const port = server.port;
    const key = randomKey();
    const prefix = uniquePrefix('aof');
    // Fail fast once the server is gone: nothing queued, nothing retried.
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    await client.connect();
    const store = new ValkeySessionStore(client, key, { prefix, logger: quiet });

    const acknowledged = new Map<string, number>();
    let failed = 0;
    let running = true;
    let n = 0;
    // Eight writers saving fresh sessions as fast as the server acknowledges them.
    const writers = Array.from({ length: 8 }, async () => {
      while (running) {
        const id = mintSessionId();
        const i = n++;
        try {
          await store.save(id, record(i), TTL, { mode: 'create' });
          acknowledged.set(id, i);
        } catch {
          failed++;
          // A refused call rejects at once: let timers and sockets run between attempts.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    });
    while (acknowledged.size < 2_000) {
      if (failed > 0) throw new Error('a save failed before the crash');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await server.crash();
    running = false;
    await Promise.all(writers);
    client.disconnect();
    // Writes in flight when the crash hit were not acknowledged: either outcome is allowed for them.
    expect(acknowledged.size + failed).toBe(n);

    server = await launchValkeyProcess({ port, dir, args });
    const reader = new Redis({ host: '127.0.0.1', port });
    try {
      const readStore = new ValkeySessionStore(reader, key, { prefix, logger: quiet });
      const ids = [...acknowledged.keys()];
      const loaded = await Promise.all(ids.map((id) => readStore.load(id)));
      const lost = ids.filter((_, i) => loaded[i] === null);
      expect(lost).toEqual([]);
      ids.forEach((id, i) => expect(loaded[i]).toEqual(record(acknowledged.get(id)!)));
    } finally {
      reader.disconnect();
    }
  });
});
