import { Logger } from '@nestjs/common';
import { rmSync } from 'node:fs';
import { Redis } from 'iovalkey';
import { mintSessionId, ValkeyConnection, ValkeySessionStore, SessionStoreError, type SessionRecord } from '../../src/internal';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';

/**
 * The store on a Valkey that goes away, comes back, or stops answering, through the client the
 * module itself creates (`ValkeyConnection.create`: command timeout, one retry, auto-pipelining).
 * Every call settles, typed, bounded by `commandTimeoutMs`; the same store recovers on its own.
 * The bound on time is the jest timeout of each test: a hang fails it; nothing measures speed.
 */

const quiet = { warn: () => undefined, error: () => undefined, log: () => undefined } as unknown as Logger;
const TTL = 600_000;
const COMMAND_TIMEOUT_MS = 400;
const record = (n: number): SessionRecord => ({ data: { n }, createdAt: 1_900_000_000_000 });

/** The module's own client on `url`, with its connection errors swallowed (they are logged, rate-limited). */
function moduleConnection(url: string): ValkeyConnection {
  const connection = ValkeyConnection.create({ url }, COMMAND_TIMEOUT_MS);
  return connection;
}

/** Settles `promise` into its value or its error, so that a batch of calls can be inspected. */
function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function expectTypedUnavailable(error: unknown): void {
  expect(error).toBeInstanceOf(SessionStoreError);
  expect((error as SessionStoreError).kind).toBe('connection');
  expect((error as SessionStoreError).cause).toBeDefined();
}

async function until<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms (last error: ${String(last)})`);
}

describe('store faults on real Valkey, through the module-created client', () => {
  // The connection's own error log lines (rate-limited) are expected here; keep the output clean.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(true);
  });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await new Promise((resolve) => setImmediate(resolve));
    process.removeListener('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('uses the configured command timeout', () => {
    const connection = moduleConnection('redis://127.0.0.1:1');
    try {
      expect((connection.client as Redis).options.commandTimeout).toBe(COMMAND_TIMEOUT_MS);
    } finally {
      connection.client.disconnect();
    }
  });

  describe('Valkey stopped mid-traffic, then restarted on the same port and data dir', () => {
    let server: ValkeyTestServer;
    let dir: string;
    afterAll(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('every call settles (ok or a typed connection error), and the same store serves the old sessions again', async () => {
      const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
      server = await startValkeyServer({ args });
      dir = server.dir;
      const port = server.port;
      const connection = moduleConnection(server.url);
      const key = randomKey();
      const prefix = uniquePrefix('outage');
      const store = new ValkeySessionStore(connection.client, key, { prefix, logger: quiet });
      let running = true;
      try {
        const ids = Array.from({ length: 20 }, () => mintSessionId());
        // Seeded through a client without the short timeout: with fsync on every write, a busy
        // machine can take longer than it, and the seeding is not what is under test.
        const seeding = ValkeyConnection.create({ url: server.url }, 30_000);
        try {
          const seeder = new ValkeySessionStore(seeding.client, key, { prefix, logger: quiet });
          await Promise.all(ids.map((id, i) => seeder.save(id, record(i), TTL)));
        } finally {
          seeding.client.disconnect();
        }

        // Traffic: each worker loads and saves its session in a loop until told to stop.
        const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
        const workers = ids.map(async (id, i) => {
          while (running) {
            outcomes.push(await settle(store.load(id, { refreshTtlMs: TTL })));
            outcomes.push(await settle(store.save(id, record(i), TTL, { mode: 'update' })));
          }
        });
        await until('traffic', 5_000, async () => (outcomes.length > 100 ? true : undefined));
        await server.stop({ keepDir: true });
        // Keep the traffic going against the dead server until every worker has failed.
        await until('failures while down', 15_000, async () => (outcomes.filter((o) => !o.ok).length >= ids.length * 2 ? true : undefined));
        running = false;
        await Promise.all(workers);
        for (const outcome of outcomes) if (!outcome.ok) expectTypedUnavailable(outcome.error);

        server = await startValkeyServer({ port, dir, args });
        // No new client, no new store: the module's client reconnects by itself.
        await until('recovery', 15_000, async () => ((await store.load(ids[0])) ? true : undefined));
        const loaded = await Promise.all(ids.map((id) => store.load(id)));
        expect(loaded).toEqual(ids.map((_, i) => record(i)));
      } finally {
        running = false;
        connection.client.disconnect();
      }
    });
  });

  describe('slow Valkey: the command timeout turns a stall into a typed failure', () => {
    let server: ValkeyTestServer;
    beforeAll(async () => {
      // DEBUG is off by default in Valkey 8; this private server allows it.
      server = await startValkeyServer({ args: ['--enable-debug-command', 'yes'] });
    });
    afterAll(async () => {
      server.resume();
      await server.stop();
    });

    it('a frozen process (SIGSTOP): every call fails typed while it is still frozen, then the store works again', async () => {
      const connection = moduleConnection(server.url);
      const store = new ValkeySessionStore(connection.client, randomKey(), { prefix: uniquePrefix('frozen'), logger: quiet });
      try {
        const id = mintSessionId();
        await store.save(id, record(1), TTL);
        server.pause();
        const calls = Array.from({ length: 50 }, (_, i): Promise<unknown> =>
          i % 2 ? store.load(id, { refreshTtlMs: TTL }) : store.save(id, record(i), TTL),
        );
        const outcomes = await Promise.all(calls.map(settle));
        // Still frozen here: the calls did not wait for Valkey, they gave up on their own.
        for (const outcome of outcomes) {
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) {
            expectTypedUnavailable(outcome.error);
            expect(((outcome.error as SessionStoreError).cause as Error).message).toBe('Command timed out');
          }
        }
        server.resume();
        await until('recovery after thaw', 10_000, async () => ((await store.load(id)) ? true : undefined));
      } finally {
        server.resume();
        connection.client.disconnect();
      }
    });

    it('DEBUG SLEEP: calls queued behind a sleeping server time out typed, and later calls succeed', async () => {
      const connection = moduleConnection(server.url);
      const client = connection.client as Redis;
      const store = new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix('sleep'), logger: quiet });
      try {
        const id = mintSessionId();
        await store.save(id, record(1), TTL);
        // Same connection, so the loads are queued behind the sleep.
        const sleeping = settle(client.call('DEBUG', 'SLEEP', '2'));
        const outcomes = await Promise.all(Array.from({ length: 20 }, () => settle(store.load(id))));
        for (const outcome of outcomes) {
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) {
            expectTypedUnavailable(outcome.error);
            expect(((outcome.error as SessionStoreError).cause as Error).message).toBe('Command timed out');
          }
        }
        await sleeping;
        await until('recovery after the sleep', 10_000, async () => ((await store.load(id)) ? true : undefined));
        expect(await store.load(id)).toEqual(record(1));
      } finally {
        connection.client.disconnect();
      }
    });
  });
});
