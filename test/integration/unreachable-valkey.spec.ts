import type { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'iovalkey';
import { mintSessionId, ValkeySessionStore, SessionStoreError, type SessionRecord } from '../../src/internal';
import { freePort, startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';

/**
 * Every store call against a Valkey that cannot answer rejects with a typed `connection` error
 * carrying the client's error as `cause`. The bound on time is the per-test jest timeout: a call
 * that hung would fail the test, and no assertion measures speed.
 */

const BOUND_MS = 15_000;
const quiet = { warn: () => undefined, error: () => undefined, log: () => undefined } as unknown as Logger;
const record: SessionRecord = { data: { n: 1 }, createdAt: 1_900_000_000_000 };

/** Client settings an app uses to fail fast instead of queueing forever. */
const clientConfigs: Array<[string, RedisOptions]> = [
  ['offline queue disabled', { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500, connectTimeout: 500 }],
  ['offline queue on, bounded by maxRetriesPerRequest', { maxRetriesPerRequest: 1, commandTimeout: 500, connectTimeout: 500 }],
];

function clientOn(port: number, options: RedisOptions): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    retryStrategy: (times) => Math.min(times * 50, 200),
    // A socket to a dead or frozen server may never report close; don't keep jest waiting 2 s.
    disconnectTimeout: 100,
    ...options,
  });
  // Connection errors are also emitted as events; the commands' rejections are what we assert.
  client.on('error', () => undefined);
  return client;
}

/** Resolves once the client can take commands (with the offline queue off, none are queued before). */
async function ready(client: Redis): Promise<void> {
  while (client.status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 25));
}

/** Each store operation, named, against live-looking ids. */
function operations(store: ValkeySessionStore): Array<[string, () => Promise<unknown>]> {
  return [
    ['load', () => store.load(mintSessionId())],
    ['load with sliding expiry', () => store.load(mintSessionId(), { refreshTtlMs: 60_000 })],
    ['save', () => store.save(mintSessionId(), record, 60_000)],
    ['save (update mode)', () => store.save(mintSessionId(), record, 60_000, { mode: 'update' })],
    ['delete', () => store.delete(mintSessionId(), mintSessionId())],
    ['cycle', () => store.cycle(mintSessionId(), mintSessionId(), record, 60_000)],
    ['existing', () => store.existing([mintSessionId(), mintSessionId()])],
    ['remainingTtl', () => store.remainingTtl([mintSessionId()])],
  ];
}

/** Runs every operation at once and checks each rejected with a typed connection error. */
async function expectEveryOperationFailsTyped(store: ValkeySessionStore): Promise<void> {
  const ops = operations(store);
  const outcomes = await Promise.all(
    ops.map(([, run]) =>
      run().then(
        (value) => ({ resolved: value }) as const,
        (error: unknown) => ({ error }) as const,
      ),
    ),
  );
  outcomes.forEach((outcome, i) => {
    const name = ops[i][0];
    expect({ name, rejected: 'error' in outcome }).toEqual({ name, rejected: true });
    const error = 'error' in outcome ? outcome.error : undefined;
    expect(error).toBeInstanceOf(SessionStoreError);
    expect({ name, kind: (error as SessionStoreError).kind }).toEqual({ name, kind: 'connection' });
    expect((error as SessionStoreError).cause).toBeDefined();
  });
}

describe('unreachable Valkey: every store call fails typed (connection) within a bounded time', () => {
  // Under jest, `process` is the test environment's copy, so this listener only fires where the
  // test runs on the real process; jest-circus itself fails any test during which a promise
  // rejection goes unhandled, which covers the jest run.
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  let clients: Redis[] = [];

  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    for (const client of clients) client.disconnect();
    clients = [];
    // Let any late rejection surface before checking.
    await new Promise((resolve) => setImmediate(resolve));
    process.removeListener('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  /** A store on a ready client to `port` (disconnected after the test) that has saved one session: the server did answer. */
  async function storeHoldingASession(port: number, options: RedisOptions): Promise<{ store: ValkeySessionStore; id: string }> {
    const client = clientOn(port, options);
    clients.push(client);
    await ready(client);
    const store = new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix('down'), logger: quiet });
    const id = mintSessionId();
    await store.save(id, record, 60_000);
    return { store, id };
  }

  describe.each(clientConfigs)('client with %s', (_label, options) => {
    it(
      'a port where nothing listens',
      async () => {
        const client = clientOn(await freePort(), options);
        clients.push(client);
        await expectEveryOperationFailsTyped(new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix('down'), logger: quiet }));
      },
      BOUND_MS,
    );

    it(
      'a server stopped mid-test',
      async () => {
        const server = await startValkeyServer();
        try {
          const { store, id } = await storeHoldingASession(server.port, options);
          expect(await store.load(id)).toEqual(record);

          await server.stop();
          await expectEveryOperationFailsTyped(store);
        } finally {
          await server.stop();
        }
      },
      BOUND_MS,
    );

    it(
      'a server that stops answering (process frozen): commandTimeout turns the hang into a connection error',
      async () => {
        const server = await startValkeyServer();
        try {
          const { store } = await storeHoldingASession(server.port, options);

          server.pause();
          await expectEveryOperationFailsTyped(store);
        } finally {
          server.resume();
          await server.stop();
        }
      },
      BOUND_MS * 2,
    );
  });
});

describe('a server that comes back', () => {
  let server: ValkeyTestServer;
  afterAll(async () => {
    await server?.stop();
  });

  it(
    'after connection errors, the same store works again once Valkey is back on its port',
    async () => {
      const port = await freePort();
      const client = clientOn(port, clientConfigs[0][1]);
      try {
        const store = new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix('back'), logger: quiet });
        await expect(store.load(mintSessionId())).rejects.toMatchObject({ kind: 'connection' });

        server = await startValkeyServer({ port });
        // The client reconnects on its own (retryStrategy).
        await ready(client);
        const id = mintSessionId();
        expect(await store.save(id, record, 60_000)).toBe(true);
        expect(await store.load(id)).toEqual(record);
      } finally {
        client.disconnect();
      }
    },
    BOUND_MS,
  );
});
