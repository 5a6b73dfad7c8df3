import { ModuleConnections } from '../harness/module-connections';
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'iovalkey';
import { KeyLayout, type SessionRecord } from '../../src/internal';
import { startValkeyCluster, type ValkeyClusterShard, type ValkeyTestCluster } from '../../src/testing';
import { sessionIdsOnShard } from '../harness/cluster-slots';
import { cookiePair, send, startTestApp, type TestApp } from '../harness/http-app';
import { cachedStack, eventually, invalidationConnectionIds, keptOn, localCacheOf, settle, type CachedStack } from '../harness/local-cache';
import { randomKey, uniquePrefix } from '../harness/valkey';

/**
 * The local cache on a 3-primary / 3-replica Cluster: tracking on every node the client holds (a
 * subscriber per node, on that node), two instances, changes seen across every shard, a killed
 * subscriber and a failover.
 */

const TTL = 10 * 60_000;
const record = (data: Record<string, unknown>): SessionRecord => ({ data, createdAt: Date.now(), userId: 'u' });

let cluster: ValkeyTestCluster;
let shards: ValkeyClusterShard[];
const connections = new ModuleConnections();

/** A Cluster client configured as the module configures one from `connection.clusterNodes`. */
const moduleClient = (): Cluster => connections.client<Cluster>({ clusterNodes: [...cluster.nodes] });

async function onNode(port: number, ...command: [string, ...Array<string | number>]): Promise<unknown> {
  const admin = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  try {
    await admin.connect();
    return await admin.call(...command);
  } finally {
    admin.disconnect();
  }
}

beforeAll(async () => {
  cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1, nodeTimeoutMs: 1_500 });
  shards = await cluster.shards();
}, 60_000);

afterAll(async () => {
  await connections.closeAll();
  await cluster?.stop();
});

describe('local cache on a Valkey Cluster', () => {
  let a: CachedStack;
  let b: CachedStack;
  let prefix: string;
  let keys: KeyLayout;

  beforeEach(async () => {
    prefix = uniquePrefix('clc');
    keys = new KeyLayout(prefix);
    const encryptionKey = randomKey();
    // Once coherent, the client holds (and tracks) a connection to every node of the cluster.
    a = await cachedStack(moduleClient(), { prefix, encryptionKey });
    b = await cachedStack(moduleClient(), { prefix, encryptionKey });
  });
  afterEach(async () => {
    await a?.invalidations.close();
    await b?.invalidations.close();
  });

  it('tracks every node the client holds, each redirected to a subscriber on that same node', async () => {
    const nodes = (a.client as Cluster).nodes('all');
    expect(nodes.length).toBeGreaterThanOrEqual(3);
    for (const node of nodes) {
      const [, flags, , redirect] = (await node.call('CLIENT', 'TRACKINGINFO')) as [string, string[], string, number];
      expect(flags).toEqual(expect.arrayContaining(['on', 'bcast', 'noloop']));
      const admin = new Redis({ host: '127.0.0.1', port: node.options.port });
      try {
        expect(await invalidationConnectionIds(admin)).toContain(String(redirect));
      } finally {
        admin.disconnect();
      }
    }
  });

  it('serves hot sessions of every shard from the cache, and a change through B on any shard reaches A', async () => {
    const ids = [0, 1, 2].map((shard) => sessionIdsOnShard(keys, shards, shard, 1)[0]);
    for (const id of ids) await b.store.save(id, record({ v: 1 }), TTL);
    for (const id of ids) await keptOn(a, id);
    const hits = a.store.stats.hits;
    for (const id of ids) expect((await a.store.load(id, { refreshTtlMs: TTL }))!.data).toEqual({ v: 1 });
    expect(a.store.stats.hits - hits).toBe(3);
    for (const id of ids) await b.store.save(id, record({ v: 2 }), TTL, { mode: 'update' });
    await settle();
    for (const id of ids) expect((await a.store.load(id))!.data).toEqual({ v: 2 });
    // Revoked through B: gone on A at once.
    await b.store.markGone(ids, 'revoked', 60_000);
    await settle();
    for (const id of ids) expect(await a.store.load(id)).toBeNull();
  });

  it('a key Valkey expires is invalidated on the instance that holds it', async () => {
    const [id] = sessionIdsOnShard(keys, shards, 2, 1);
    await b.store.save(id, record({ v: 1 }), 1_500);
    await keptOn(a, id);
    await eventually('Valkey expired the key', async () => (await (a.client as Cluster).exists(keys.session(id))) === 0);
    await eventually("A's copy was invalidated", () => !a.store.holds(id));
    expect(await a.store.load(id)).toBeNull();
  });

  it("one node's invalidation connection killed: A flushes and bypasses, a change made meanwhile is read, then A caches again", async () => {
    const [id] = sessionIdsOnShard(keys, shards, 1, 1);
    await b.store.save(id, record({ v: 1 }), TTL);
    await keptOn(a, id);
    const port = await cluster.primaryOf(keys.session(id));
    const node = (a.client as Cluster).nodes('all').find((n) => n.options.port === port)!;
    const redirect = String(((await node.call('CLIENT', 'TRACKINGINFO')) as unknown[])[3]);
    await onNode(port, 'CLIENT', 'KILL', 'ID', redirect);
    await b.store.save(id, record({ v: 2 }), TTL, { mode: 'update' });
    await settle();
    expect(a.store.holds(id)).toBe(false);
    expect(a.store.coherent).toBe(false);
    expect((await a.store.load(id))!.data).toEqual({ v: 2 });
    await a.invalidations.whenCoherent();
    await a.store.load(id);
    expect(a.store.holds(id)).toBe(true);
  });

  it('a failover: A flushes when its primary dies, comes back coherent on the promoted replica, and hears of changes made there', async () => {
    const [id] = sessionIdsOnShard(keys, shards, 0, 1);
    await b.store.save(id, record({ v: 1 }), TTL);
    await keptOn(a, id);
    // Replication is asynchronous: without this, the crash can take the only copy of the write.
    await cluster.waitForReplication(keys.session(id));
    const killed = await cluster.killPrimaryOf(keys.session(id));
    await cluster.waitUntilHealthy(30_000).catch(() => undefined);
    expect(await cluster.primaryOf(keys.session(id))).not.toBe(killed);
    // The copy went with the dead node's connections.
    expect(a.store.holds(id)).toBe(false);
    // The client may still be meeting the new primary (a node joining flushes again): read until A keeps it.
    await eventually(
      'A keeps the record read from the promoted replica',
      async () => {
        expect((await retry(() => a.store.load(id)))!.data).toEqual({ v: 1 });
        return a.store.holds(id);
      },
      30_000,
    );
    await retry(() => b.store.save(id, record({ v: 2 }), TTL, { mode: 'update' }));
    await settle();
    expect((await a.store.load(id))!.data).toEqual({ v: 2 });
  }, 60_000);
});

/** Retries a call that may fail while the Cluster client catches up with a new topology. */
async function retry<T>(call: () => Promise<T>, attempts = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('local cache on a Valkey Cluster, two app instances over HTTP', () => {
  const CAP = 3;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const shared = {
      prefix: uniquePrefix('clh'),
      encryptionKey: randomKey(),
      signingKey: randomKey(),
      maxSessionsPerUser: CAP,
      localCache: true,
    };
    a = await startTestApp('fastify', 'valkey', { ...shared, client: moduleClient() });
    b = await startTestApp('fastify', 'valkey', { ...shared, client: moduleClient() });
    await Promise.all([localCacheOf(a.app), localCacheOf(b.app)]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const login = async (t: TestApp, name: string) => {
    const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': name } });
    expect(answer.status).toBe(200);
    const cookie = cookiePair(answer)!;
    return { cookie, id: cookie.split('=')[1].split('.')[0] };
  };
  const cachedOnA = async (cookie: string, id: string) => {
    await settle();
    await eventually(`${id} is cached on A`, async () => {
      expect((await send(a.url, 'GET', '/me', { cookie })).status).toBe(200);
      return (await localCacheOf(a.app)).holds(id);
    });
  };

  it('a session evicted by a login on B (cap 3) is refused by A on its next request', async () => {
    const name = `evict-${randomBytes(4).toString('hex')}`;
    const sessions = [];
    for (let i = 0; i < CAP; i++) sessions.push(await login(a, name));
    for (const s of sessions) await cachedOnA(s.cookie, s.id);
    await login(b, name);
    expect((await send(a.url, 'GET', '/me', { cookie: sessions[0].cookie })).status).toBe(401);
    for (const s of sessions.slice(1)) expect((await send(a.url, 'GET', '/me', { cookie: s.cookie })).status).toBe(200);
  });

  it('a change and a revocation made through B are what A serves next', async () => {
    const name = `rev-${randomBytes(4).toString('hex')}`;
    const victim = await login(a, name);
    const other = await login(b, name);
    await send(a.url, 'POST', '/data', { cookie: victim.cookie, body: { v: 1 } });
    await cachedOnA(victim.cookie, victim.id);
    await send(b.url, 'POST', '/data', { cookie: victim.cookie, body: { v: 2 } });
    expect((await send(a.url, 'GET', '/data', { cookie: victim.cookie })).body.data).toEqual({ v: 2 });
    await cachedOnA(victim.cookie, victim.id);
    expect((await send(b.url, 'DELETE', `/sessions/${victim.id}`, { cookie: other.cookie })).status).toBe(200);
    expect((await send(a.url, 'GET', '/me', { cookie: victim.cookie })).status).toBe(401);
  });
});
