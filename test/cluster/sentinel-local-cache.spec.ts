import { ModuleConnections } from '../harness/module-connections';
import { Redis } from 'iovalkey';
import { mintSessionId, type SessionRecord } from '../../src/internal';
import { startValkeySentinelGroup, type ValkeyTestSentinelGroup } from '../../src/testing';
import { cachedStack, eventually, invalidationConnectionIds, keptOn, settle, type CachedStack } from '../harness/local-cache';
import { randomKey, uniquePrefix } from '../harness/valkey';

/**
 * The local cache behind Sentinel: the subscriber is a second sentinel-routed connection, and it
 * must reach the primary the data connection reaches (both report the server's run_id). Two
 * instances, a killed subscriber, and a failover to the replica.
 */

const TTL = 10 * 60_000;
const record = (data: Record<string, unknown>): SessionRecord => ({ data, createdAt: Date.now(), userId: 'u' });

let group: ValkeyTestSentinelGroup;
const connections = new ModuleConnections();

/** A client configured as the module configures one from `connection: { sentinels, name }`. */
const moduleClient = (): Redis =>
  connections.client<Redis>({ sentinels: group.sentinels.map(({ host, port }) => ({ host, port })), name: group.name });

beforeAll(async () => {
  group = await startValkeySentinelGroup();
}, 60_000);

afterAll(async () => {
  await connections.closeAll();
  await group?.stop();
});

describe('local cache behind Sentinel', () => {
  let a: CachedStack;
  let b: CachedStack;

  beforeAll(async () => {
    const prefix = uniquePrefix('slc');
    const encryptionKey = randomKey();
    a = await cachedStack(moduleClient(), { prefix, encryptionKey });
    b = await cachedStack(moduleClient(), { prefix, encryptionKey });
  });
  afterAll(async () => {
    await a?.invalidations.close();
    await b?.invalidations.close();
  });

  it('tracks the primary, redirected to a subscriber on the primary; a change and a revocation through B reach A', async () => {
    const primary = await group.primary();
    const admin = new Redis({ host: '127.0.0.1', port: primary.port });
    try {
      const redirect = String(((await (a.client as Redis).call('CLIENT', 'TRACKINGINFO')) as unknown[])[3]);
      expect(await invalidationConnectionIds(admin)).toContain(redirect);
    } finally {
      admin.disconnect();
    }
    const id = mintSessionId();
    await b.store.save(id, record({ v: 1 }), TTL);
    await keptOn(a, id);
    await b.store.save(id, record({ v: 2 }), TTL, { mode: 'update' });
    await settle();
    expect((await a.store.load(id))!.data).toEqual({ v: 2 });
    await b.store.markGone([id], 'revoked', 60_000);
    await settle();
    expect(await a.store.load(id)).toBeNull();
  });

  it('a failover: A flushes as its primary dies, and is coherent again on the promoted replica, where it hears of changes', async () => {
    const id = mintSessionId();
    await b.store.save(id, record({ v: 1 }), TTL);
    await keptOn(a, id);
    const killed = await group.killPrimary();
    await group.waitForFailover(killed, 30_000);
    // Both connections of A are now on the new primary (same run_id), and tracking is on there.
    await a.invalidations.whenCoherent();
    expect(a.store.holds(id)).toBe(false);
    const promoted = await group.primary();
    const admin = new Redis({ host: '127.0.0.1', port: promoted.port });
    try {
      const redirect = String(((await (a.client as Redis).call('CLIENT', 'TRACKINGINFO')) as unknown[])[3]);
      expect(await invalidationConnectionIds(admin)).toContain(redirect);
    } finally {
      admin.disconnect();
    }
    await eventually(
      'A keeps what it reads from the new primary',
      async () => {
        await a.store.load(id).catch(() => undefined);
        return a.store.holds(id);
      },
      30_000,
    );
    await eventually(
      'B writes to the new primary',
      () => b.store.save(id, record({ v: 2 }), TTL, { mode: 'update' }).catch(() => false),
      30_000,
    );
    await settle();
    expect((await a.store.load(id))!.data).toEqual({ v: 2 });
  }, 60_000);
});
