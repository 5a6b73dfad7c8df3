import { Redis } from 'iovalkey';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { CachingSessionStore, SessionStore } from '../../src/internal';
import { localCacheOf, whenLocalCacheReady } from '../harness/local-cache';
import { probe, sessionCookie, startProbeApp, type ProbeApp } from '../harness/probe-app';
import { randomKey } from '../harness/valkey';

/**
 * The ACL that SECURITY.md recommends for the app's Valkey user is enough for every feature
 * (sessions, logins with eviction, revocation, logout) and confines the user to its key prefix
 * and those commands: an app compromise cannot read or write other keys, or reconfigure Valkey.
 */

const AXESS_ACL_COMMANDS = [
  // the store and registry
  'get',
  'getex',
  'set',
  'del',
  'exists',
  'pttl',
  'zrange',
  'zscore',
  'zrem',
  'evalsha',
  'eval',
  // inside the admission script
  'zadd',
  'zcard',
  'pexpire',
  // inside the key-ring claim at boot
  'scard',
  'sismember',
  'sadd',
  // connection upkeep (ready check, health) and durable writes
  'ping',
  'info',
  'wait',
  'quit',
  // session events between instances: published on `axess:events`, heard by a named subscriber
  'publish',
  'subscribe',
  'client|setname',
];

/** The channels the user may use: the cross-instance session events. */
const AXESS_ACL_CHANNELS = ['&axess:events'];

describe('the recommended least-privilege ACL', () => {
  let server: ValkeyTestServer;
  let admin: Redis;
  let t: ProbeApp;
  beforeAll(async () => {
    server = await startValkeyServer();
    admin = new Redis(server.url);
    await admin.call(
      'ACL',
      'SETUSER',
      'axess-app',
      'on',
      '>app-password-for-tests',
      'resetkeys',
      '~axess:*',
      'resetchannels',
      ...AXESS_ACL_CHANNELS,
      '-@all',
      ...AXESS_ACL_COMMANDS.map((c) => `+${c}`),
    );
    t = await startProbeApp({
      connection: { url: server.url, username: 'axess-app', password: 'app-password-for-tests' },
      encryptionKey: randomKey(),
      signingKey: randomKey(),
      maxSessionsPerUser: 1,
    });
  });
  afterAll(async () => {
    await t.close();
    admin.disconnect();
    await server.stop();
  });

  it('serves every flow under it', async () => {
    const anonymous = sessionCookie(await probe(t.url, 'POST', '/data', { body: { cart: ['a'] } }))!;
    const first = sessionCookie(await probe(t.url, 'POST', '/login', { cookie: anonymous, headers: { 'x-user': 'acl-user' } }))!;
    expect((await probe(t.url, 'GET', '/me', { cookie: first })).body).toMatchObject({ userId: 'acl-user', data: { cart: ['a'] } });
    // A second login evicts the first (cap 1).
    const second = sessionCookie(await probe(t.url, 'POST', '/login', { headers: { 'x-user': 'acl-user' } }))!;
    expect((await probe(t.url, 'GET', '/me', { cookie: first })).status).toBe(401);
    expect((await probe(t.url, 'POST', '/data', { cookie: second, body: { more: 1 } })).status).toBe(200);
    expect((await probe(t.url, 'POST', '/logout', { cookie: second })).status).toBe(200);
    expect((await probe(t.url, 'GET', '/me', { cookie: second })).status).toBe(401);
    // Nothing was denied along the way.
    expect(await admin.call('ACL', 'LOG')).toEqual([]);
  });

  it('denies the same user everything else: other keys, other commands, configuration', async () => {
    const app = new Redis(server.url, { username: 'axess-app', password: 'app-password-for-tests' });
    try {
      await admin.set('billing:invoice:1', 'secret');
      await expect(app.get('billing:invoice:1')).rejects.toThrow(/NOPERM/);
      await expect(app.set('other:key', 'x')).rejects.toThrow(/NOPERM/);
      await expect(app.keys('*')).rejects.toThrow(/NOPERM/);
      await expect(app.call('CONFIG', 'SET', 'appendonly', 'no')).rejects.toThrow(/NOPERM/);
      await expect(app.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
      await expect(app.call('MONITOR')).rejects.toThrow(/NOPERM/);
      // A script cannot reach outside the prefix either.
      await expect(app.eval("return redis.call('GET', KEYS[1])", 1, 'billing:invoice:1')).rejects.toThrow(/NOPERM|No permissions/);
    } finally {
      app.disconnect();
    }
  });
});

/** What the local cache needs on top: its tracking, the subscriber's id and name, and the invalidation channel. */
const LOCAL_CACHE_ACL = [
  '+client|id',
  '+client|setname',
  '+client|tracking',
  '+client|trackinginfo',
  '+subscribe',
  '&__redis__:invalidate',
];

describe('the recommended ACL with the local cache on', () => {
  let server: ValkeyTestServer;
  let admin: Redis;

  beforeAll(async () => {
    server = await startValkeyServer();
    admin = new Redis(server.url);
    for (const [user, extra] of [
      ['axess-cache', LOCAL_CACHE_ACL],
      ['axess-plain', []],
    ] as const) {
      await admin.call(
        'ACL',
        'SETUSER',
        user,
        'on',
        '>app-password-for-tests',
        'resetkeys',
        '~axess:*',
        'resetchannels',
        '-@all',
        ...AXESS_ACL_COMMANDS.map((c) => `+${c}`),
        ...extra,
      );
    }
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  // One deployment (one key ring under the prefix), booted as either user.
  const encryptionKey = randomKey();
  const boot = (username: string) =>
    startProbeApp({
      connection: { url: server.url, username, password: 'app-password-for-tests' },
      encryptionKey,
      signingKey: randomKey(),
      localCache: true,
    });
  /** Denials of what the cache sends (its commands and its channel), from `ACL LOG`. */
  const cacheDenials = async () => {
    const cacheObjects = new Set([
      'client|id',
      'client|setname',
      'client|tracking',
      'client|trackinginfo',
      'subscribe',
      '__redis__:invalidate',
    ]);
    const entries = (await admin.call('ACL', 'LOG')) as unknown[][];
    return entries.filter((entry) => cacheObjects.has(String(entry[entry.indexOf('object') + 1])));
  };

  it('with its additions, the cache tracks and serves every flow, and nothing is denied', async () => {
    await admin.call('ACL', 'LOG', 'RESET');
    const t = await boot('axess-cache');
    try {
      await whenLocalCacheReady(t.app);
      const cookie = sessionCookie(await probe(t.url, 'POST', '/login', { headers: { 'x-user': 'acl-cache' } }))!;
      expect((await probe(t.url, 'GET', '/me', { cookie })).status).toBe(200);
      expect((await localCacheOf(t.app)).stats.hits).toBeGreaterThanOrEqual(1);
      expect((await probe(t.url, 'POST', '/logout', { cookie })).status).toBe(200);
      expect((await probe(t.url, 'GET', '/me', { cookie })).status).toBe(401);
      expect(await cacheDenials()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('without them, tracking cannot be set up: the cache stays bypassed, and every flow still works', async () => {
    const t = await boot('axess-plain');
    try {
      const cookie = sessionCookie(await probe(t.url, 'POST', '/login', { headers: { 'x-user': 'acl-plain' } }))!;
      for (let i = 0; i < 3; i++) expect((await probe(t.url, 'GET', '/me', { cookie })).status).toBe(200);
      const cache = t.app.get<SessionStore, CachingSessionStore>(SessionStore);
      expect(cache.coherent).toBe(false);
      expect(cache.stats.hits).toBe(0);
      expect(cache.stats.bypassed).toBeGreaterThanOrEqual(3);
      expect((await probe(t.url, 'POST', '/logout', { cookie })).status).toBe(200);
      expect((await probe(t.url, 'GET', '/me', { cookie })).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});
