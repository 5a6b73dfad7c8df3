import type { Logger } from '@nestjs/common';
import { Redis } from 'iovalkey';
import { mintSessionId, SessionStoreError, ValkeySessionStore, type SessionRecord, type UnreadableRecordHook } from '../../src/internal';
import { startValkeyServer } from '../../src/testing';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

/**
 * Session loads on one server: a lone load is written at once; loads that start while another
 * awaits its reply are sent together as one pipeline (one socket write), each answered with its
 * own reply. Writes are counted on the client's socket.
 */

const TTL = 60_000;
const SLID = 600_000;
const quiet = { warn: () => undefined, error: () => undefined, log: () => undefined } as unknown as Logger;
const record = (n: number): SessionRecord => ({ data: { n, note: `record ${n}` }, createdAt: 1_900_000_000_000 + n, userId: `user-${n}` });
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Counts the writes to the client's socket (iovalkey writes each command, or each pipeline, once). */
function countWrites(client: Redis): { readonly count: number } {
  const stream = client.stream;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  const counter = { count: 0 };
  stream.write = (...args: unknown[]) => {
    counter.count++;
    return write(...args);
  };
  return counter;
}

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }) as const,
    (error: unknown) => ({ error }) as const,
  );

describe('ValkeySessionStore: loads batched under load, sent at once when alone (real valkey-server)', () => {
  let client: Redis;
  let prefix: string;
  let unreadable: jest.MockedFunction<UnreadableRecordHook>;
  let store: ValkeySessionStore;
  const keyOf = (id: string) => `${prefix}:sess:${id}`;

  beforeEach(async () => {
    // A client of its own: nothing else writes to its socket.
    client = testClient();
    await client.ping();
    prefix = uniquePrefix('batch');
    unreadable = jest.fn();
    store = new ValkeySessionStore(client, randomKey(), { prefix, onUnreadable: unreadable, logger: quiet });
  });
  afterEach(async () => {
    await client.quit();
  });

  it('writes a lone load to the socket before load() returns (no wait for the next turn)', async () => {
    const id = mintSessionId();
    await store.save(id, record(1), TTL);
    const writes = countWrites(client);

    const loading = store.load(id);
    expect(writes.count).toBe(1);
    expect(await loading).toEqual(record(1));

    // Once answered, the next lone load goes out at once too.
    const again = store.load(id, { refreshTtlMs: SLID });
    expect(writes.count).toBe(2);
    expect(await again).toEqual(record(1));
  });

  it('sends the loads that start while one awaits its reply as one pipeline (one write), after this turn', async () => {
    const ids = Array.from({ length: 12 }, () => mintSessionId());
    await Promise.all(ids.map((id, i) => store.save(id, record(i), TTL)));
    const writes = countWrites(client);

    const first = store.load(ids[0]);
    const rest = ids.slice(1).map((id) => store.load(id));
    expect(writes.count).toBe(1);
    await nextTurn();
    expect(writes.count).toBe(2);

    expect(await Promise.all([first, ...rest])).toEqual(ids.map((_, i) => record(i)));
    expect(writes.count).toBe(2);
  });

  it('answers a concurrent mix (existing, missing, sliding, unreadable, malformed ids) each with its own reply', async () => {
    type Case = { id: string; expected: SessionRecord | null; refreshTtlMs?: number; kind: string };
    const cases: Case[] = [];
    for (let i = 0; i < 60; i++) {
      const id = mintSessionId();
      const refreshTtlMs = i % 3 === 0 ? SLID : undefined;
      switch (i % 5) {
        case 0:
        case 1:
          await store.save(id, record(i), TTL);
          cases.push({ id, expected: record(i), refreshTtlMs, kind: 'existing' });
          break;
        case 2:
          cases.push({ id, expected: null, refreshTtlMs, kind: 'missing' });
          break;
        case 3:
          // Bytes no key opens: tampered or foreign.
          await client.set(keyOf(id), Buffer.from(`not a sealed record ${i}`), 'PX', TTL);
          cases.push({ id, expected: null, refreshTtlMs, kind: 'unreadable' });
          break;
        default:
          cases.push({ id: `${id}!`, expected: null, refreshTtlMs, kind: 'malformed id' });
      }
    }
    const writes = countWrites(client);

    const outcomes = await Promise.all(cases.map(({ id, refreshTtlMs }) => settle(store.load(id, { refreshTtlMs }))));

    // One write for the first load, one pipeline for all the others (malformed ids send nothing).
    expect(writes.count).toBe(2);
    outcomes.forEach((outcome, i) => {
      const { kind, expected } = cases[i];
      expect({ i, kind, outcome }).toEqual({ i, kind, outcome: { value: expected } });
    });
    const unreadableIds = cases.filter((c) => c.kind === 'unreadable').map((c) => c.id);
    expect(unreadable.mock.calls.map(([id]) => id).sort()).toEqual([...unreadableIds].sort());
    for (const [, error] of unreadable.mock.calls) expect(error).toBeInstanceOf(SessionStoreError);

    // Each sliding load slid its own key, and only those did.
    for (const { id, refreshTtlMs, kind } of cases.filter((c) => c.kind === 'existing' || c.kind === 'unreadable')) {
      const pttl = await client.pttl(keyOf(id));
      if (refreshTtlMs === undefined) expect({ id, slid: pttl > TTL }).toEqual({ id, slid: false });
      else expect({ id, kind, slid: pttl > TTL }).toEqual({ id, kind, slid: true });
    }
  });

  it('rejects a bad option before batching, and the loads around it still answer', async () => {
    const id = mintSessionId();
    await store.save(id, record(7), TTL);
    const first = store.load(id);
    const bad = settle(store.load(id, { refreshTtlMs: -5 }));
    const after = store.load(id);

    const outcome = await bad;
    expect('error' in outcome && outcome.error).toBeInstanceOf(Error);
    expect('error' in outcome && outcome.error).not.toBeInstanceOf(SessionStoreError);
    expect(await Promise.all([first, after])).toEqual([record(7), record(7)]);
  });

  it('rejects only the load whose command Valkey refused, typed `command`, within a batch', async () => {
    const good = mintSessionId();
    const wrongType = mintSessionId();
    await store.save(good, record(3), TTL);
    await client.rpush(keyOf(wrongType), 'not a string');

    const outcomes = await Promise.all([good, wrongType, good].map((id) => settle(store.load(id))));
    expect(outcomes[0]).toEqual({ value: record(3) });
    expect(outcomes[2]).toEqual({ value: record(3) });
    const error = 'error' in outcomes[1] ? outcomes[1].error : undefined;
    expect(error).toBeInstanceOf(SessionStoreError);
    expect((error as SessionStoreError).kind).toBe('command');
    expect((error as SessionStoreError).reason).toBe('wrong-type');
  });
});

describe('ValkeySessionStore: a connection lost during a batch (real valkey-server)', () => {
  it('rejects every load of the batch, and the one before it, with a typed `connection` error', async () => {
    const server = await startValkeyServer();
    // No reconnection: a lost connection fails the commands it carried instead of resending them.
    const client = new Redis(server.url, { retryStrategy: () => null, maxRetriesPerRequest: 0, disconnectTimeout: 100 });
    client.on('error', () => undefined);
    try {
      const store = new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix('lost'), logger: quiet });
      const ids = Array.from({ length: 8 }, () => mintSessionId());
      await Promise.all(ids.map((id, i) => store.save(id, record(i), TTL)));
      const writes = countWrites(client);

      // Frozen: the commands reach the server's socket and stay unanswered.
      server.pause();
      const outcomes = Promise.all(ids.map((id, i) => settle(store.load(id, i % 2 ? { refreshTtlMs: SLID } : {}))));
      await nextTurn();
      expect(writes.count).toBe(2);
      // The connection breaks with every load of the batch (and the lone one before it) unanswered.
      client.stream.destroy();

      for (const outcome of await outcomes) {
        const error = 'error' in outcome ? outcome.error : undefined;
        expect(error).toBeInstanceOf(SessionStoreError);
        expect((error as SessionStoreError).kind).toBe('connection');
        expect((error as SessionStoreError).cause).toBeDefined();
      }
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
