import { randomBytes } from 'node:crypto';
import type { Redis } from 'iovalkey';
import { cookiePair, send, startTestApp, type AdapterName, type TestApp } from '../harness/http-app';
import { eventually, invalidationConnectionIds, localCacheOf, settle } from '../harness/local-cache';
import { MetricsProbe } from '../harness/telemetry';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

/**
 * Two app instances with the local cache on, on one Valkey and one key prefix (as behind a load
 * balancer): whatever ends or changes a session through one instance reaches the other's copy
 * through Valkey's tracking messages, and the other refuses or re-reads it on its next request.
 */

const CAP = 3;
const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
const idOf = (pair: string | undefined) => pair?.split('=')[1].split('.')[0];

async function startPair(adapter: AdapterName, overrides: Record<string, unknown> = {}): Promise<[TestApp, TestApp]> {
  const shared = {
    prefix: uniquePrefix('lc'),
    encryptionKey: randomKey(),
    signingKey: randomKey(),
    maxSessionsPerUser: CAP,
    localCache: true,
  };
  const a = await startTestApp(adapter, 'valkey', { ...shared, ...overrides });
  const b = await startTestApp(adapter, 'valkey', { ...shared, ...overrides });
  await Promise.all([localCacheOf(a.app), localCacheOf(b.app)]);
  return [a, b];
}

async function login(t: TestApp, name: string): Promise<{ cookie: string; id: string }> {
  const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': name } });
  expect(answer.status).toBe(200);
  const cookie = cookiePair(answer)!;
  return { cookie, id: idOf(cookie)! };
}

/**
 * Reads the session through `t` until its local cache holds it: a read right after another
 * instance's write may rightly not keep it, and so may one while a late heartbeat (a loaded
 * machine) has the cache bypassed for a moment.
 */
async function cachedOn(t: TestApp, cookie: string, id: string): Promise<void> {
  const cache = await localCacheOf(t.app);
  await settle();
  await eventually(`${id} is cached`, async () => {
    expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(200);
    return cache.holds(id);
  });
}

describe.each<AdapterName>(['express', 'fastify'])('local cache across two instances on %s', (adapter) => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await startPair(adapter);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('serves a hot session from the cache on both instances', async () => {
    const { cookie, id } = await login(b, user('hot'));
    await cachedOn(a, cookie, id);
    const cache = await localCacheOf(a.app);
    const before = cache.stats.hits;
    for (let i = 0; i < 5; i++) expect((await send(a.url, 'GET', '/me', { cookie })).status).toBe(200);
    expect(cache.stats.hits - before).toBe(5);
  });

  it('a change made through B is what A serves next', async () => {
    const { cookie, id } = await login(a, user('change'));
    await send(a.url, 'POST', '/data', { cookie, body: { cart: ['pen'] } });
    await cachedOn(a, cookie, id);
    expect((await send(a.url, 'GET', '/data', { cookie })).body.data).toEqual({ cart: ['pen'] });
    expect((await send(b.url, 'POST', '/data', { cookie, body: { cart: ['pen', 'ink'] } })).status).toBe(200);
    expect((await send(a.url, 'GET', '/data', { cookie })).body.data).toEqual({ cart: ['pen', 'ink'] });
  });

  it('a session revoked through B is refused by A on its next request', async () => {
    const name = user('revoke');
    const victim = await login(a, name);
    const other = await login(b, name);
    await cachedOn(a, victim.cookie, victim.id);
    expect((await send(b.url, 'DELETE', `/sessions/${victim.id}`, { cookie: other.cookie })).status).toBe(200);
    expect((await send(a.url, 'GET', '/me', { cookie: victim.cookie })).status).toBe(401);
    expect((await localCacheOf(a.app)).holds(victim.id)).toBe(false);
  });

  it('a session evicted by a login on B (cap 3) is refused by A on its next request', async () => {
    const name = user('evict');
    const sessions = [];
    for (let i = 0; i < CAP; i++) sessions.push(await login(a, name));
    for (const s of sessions) await cachedOn(a, s.cookie, s.id);
    await login(b, name);
    expect((await send(a.url, 'GET', '/me', { cookie: sessions[0].cookie })).status).toBe(401);
    for (const s of sessions.slice(1)) expect((await send(a.url, 'GET', '/me', { cookie: s.cookie })).status).toBe(200);
  });

  it('a logout through B is refused by A on its next request', async () => {
    const { cookie, id } = await login(a, user('logout'));
    await cachedOn(a, cookie, id);
    expect((await send(b.url, 'POST', '/logout', { cookie })).status).toBe(200);
    expect((await send(a.url, 'GET', '/me', { cookie })).status).toBe(401);
  });

  it("the instance that wrote a session keeps a correct copy: its next read sends nothing, the other's reads the same", async () => {
    const { cookie, id } = await login(a, user('writer'));
    await send(a.url, 'POST', '/data', { cookie, body: { n: 1, nested: { list: [1, 2] } } });
    const cache = await localCacheOf(a.app);
    expect(cache.holds(id)).toBe(true);
    const misses = cache.stats.misses;
    const fromA = await send(a.url, 'GET', '/data', { cookie });
    expect(cache.stats.misses).toBe(misses);
    expect((await send(b.url, 'GET', '/data', { cookie })).body).toEqual(fromA.body);
  });
});

describe('local cache across two instances: a session whose idle timeout runs out in Valkey', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // Real time (Valkey expires keys on its own clock): a short idle timeout.
    [a, b] = await startPair('express', { idleTimeoutMs: 1_000, absoluteTimeoutMs: 60_000 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('is invalidated on the instance that holds it when Valkey expires the key, and refused there', async () => {
    const { cookie, id } = await login(b, user('idle'));
    await cachedOn(a, cookie, id);
    const valkey = testClient();
    try {
      await eventually('Valkey expired the key', async () => (await valkey.exists(`${a.options.prefix as string}:sess:${id}`)) === 0);
    } finally {
      valkey.disconnect();
    }
    // The copy goes through the expiry's invalidation (a copy is also never served past its known expiry).
    await eventually("A's copy was invalidated", async () => !(await localCacheOf(a.app)).holds(id));
    expect((await send(a.url, 'GET', '/me', { cookie })).status).toBe(401);
  });
});

describe('local cache: its invalidation connection killed (CLIENT KILL)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await startPair('fastify');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('flushes and bypasses at once (a revocation it cannot hear of is still seen), then caches again once tracking is back', async () => {
    const name = user('kill');
    const victim = await login(b, name);
    const other = await login(b, name);
    await cachedOn(a, victim.cookie, victim.id);
    const cache = await localCacheOf(a.app);
    const admin = testClient();
    try {
      const aClient = a.client as Redis;
      const redirect = String(((await aClient.call('CLIENT', 'TRACKINGINFO')) as unknown[])[3]);
      expect(await invalidationConnectionIds(admin)).toContain(redirect);
      await admin.call('CLIENT', 'KILL', 'ID', redirect);
      await settle();
      expect(cache.holds(victim.id)).toBe(false);
      expect(cache.coherent).toBe(false);
      // Revoked while A's invalidations have nowhere to go: A reads through and refuses it.
      expect((await send(b.url, 'DELETE', `/sessions/${victim.id}`, { cookie: other.cookie })).status).toBe(200);
      expect((await send(a.url, 'GET', '/me', { cookie: victim.cookie })).status).toBe(401);
      await localCacheOf(a.app);
      expect(await invalidationConnectionIds(admin)).not.toContain(redirect);
      await cachedOn(a, other.cookie, other.id);
    } finally {
      admin.disconnect();
    }
  });
});

describe('local cache metrics', () => {
  const probe = new MetricsProbe();
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await startPair('express', { telemetry: { meterProvider: probe.provider, traces: false } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await probe.shutdown();
  });

  it('axess.cache.hits, axess.cache.misses (absent) and axess.cache.invalidations count what the cache did', async () => {
    const { cookie, id } = await login(b, user('metrics'));
    await cachedOn(a, cookie, id);
    for (let i = 0; i < 3; i++) await send(a.url, 'GET', '/me', { cookie });
    await send(b.url, 'POST', '/data', { cookie, body: { x: 1 } });
    await settle();
    const cache = await localCacheOf(a.app);
    // Both apps share the provider: each reports its own counts under the same names.
    const [cacheB] = [await localCacheOf(b.app)];
    expect(await probe.sum('axess.cache.hits')).toBe(cache.stats.hits + cacheB.stats.hits);
    expect(cache.stats.hits).toBeGreaterThanOrEqual(3);
    expect(await probe.sum('axess.cache.misses', { reason: 'absent' })).toBe(cache.stats.misses + cacheB.stats.misses);
    expect(await probe.sum('axess.cache.invalidations')).toBeGreaterThanOrEqual(1);
    expect(await probe.points('axess.cache.flushes')).not.toEqual([]);
  });
});
