import { Redis } from 'iovalkey';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
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
