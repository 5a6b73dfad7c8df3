import { Redis } from 'iovalkey';
import { randomBytes } from 'node:crypto';
import { cookiePair, send } from '../harness/http-app';
import { startLegacyExpressApp, type LegacyApp } from '../harness/legacy-session-apps';
import { clearedCookie, expressSessionCookie, legacyIdOf, legacySecrets, MigratedFeature } from '../harness/migration.app';
import { startModuleApp, type AdapterName, type ModuleApp } from '../harness/module-app';
import { withTestClient } from '../harness/valkey-hooks';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { uniquePrefix } from '../harness/valkey';

/**
 * An import that cannot complete: Valkey failing during admission puts the legacy session back
 * (503, nobody signed out); a legacy session axess refuses (too large) is "no session".
 */
describe.each<AdapterName>(['express', 'fastify'])('migrateFrom when the import fails, axess on %s', (adapter) => {
  const legacyStore = withTestClient();
  const secrets = legacySecrets();
  const prefix = `${uniquePrefix('sess')}:`;
  let legacy: LegacyApp;
  let axess: ModuleApp;
  let sessionsClient: Redis;
  // The sessions on a server of their own, so that it can fail while the legacy store answers.
  let sessionsServer: ValkeyTestServer;

  beforeAll(async () => {
    legacy = await startLegacyExpressApp({ secrets, prefix });
    sessionsServer = await startValkeyServer();
    sessionsClient = new Redis(sessionsServer.url, { commandTimeout: 300, maxRetriesPerRequest: 1 });
    axess = await startModuleApp(adapter, MigratedFeature, {
      client: sessionsClient,
      maxPayloadBytes: 4096,
      cookie: { secure: false },
      migrateFrom: { expressSession: { secrets, prefix, client: legacyStore.client } },
    });
  });
  afterAll(async () => {
    await axess?.close();
    await legacy?.close();
    sessionsClient?.disconnect();
    await sessionsServer?.stop();
  });

  it('Valkey failing during admission: 503, the legacy session put back with its time left, imported on the next try', async () => {
    const cookie = await legacy.signIn('alice');
    const key = prefix + legacyIdOf(cookie);
    const ttlBefore = await legacyStore.client.pttl(key);
    sessionsServer.pause();
    let failed;
    try {
      failed = await send(axess.url, 'GET', '/me', { cookie });
    } finally {
      sessionsServer.resume();
    }
    expect(failed.status).toBe(503);
    expect(cookiePair(failed)).toBeUndefined();
    expect(clearedCookie(failed.setCookies, 'connect.sid')).toBeUndefined();
    const ttlAfter = await legacyStore.client.pttl(key);
    expect(ttlAfter).toBeGreaterThan(0);
    expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
    expect(JSON.parse((await legacyStore.client.get(key))!)).toMatchObject({ passport: { user: 'alice' } });
    // Valkey is back: the same cookie signs alice in.
    const retried = await send(axess.url, 'GET', '/me', { cookie });
    expect(retried.status).toBe(200);
    expect(retried.body.userId).toBe('alice');
    expect(await legacyStore.client.exists(key)).toBe(0);
  });

  it('a legacy session too large for axess is "no session": cleared, not retried forever, logged', async () => {
    const id = randomBytes(24).toString('base64url');
    const record = { cookie: { path: '/' }, passport: { user: 'bob' }, blob: 'x'.repeat(10_000) };
    await legacyStore.client.set(prefix + id, JSON.stringify(record), 'PX', 60_000);
    const answer = await send(axess.url, 'GET', '/visit', { cookie: expressSessionCookie(id, secrets[0]) });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ userId: null, sessionId: null, data: {} });
    expect(cookiePair(answer)).toBeUndefined();
    expect(clearedCookie(answer.setCookies, 'connect.sid')).toBeDefined();
    expect(await legacyStore.client.exists(prefix + id)).toBe(0);
    expect(axess.logger.warnings.some((line) => line.includes('could not be imported'))).toBe(true);
  });

  it('the legacy store failing during the claim: 503, and the request can be retried', async () => {
    const cookie = await legacy.signIn('carol');
    // A legacy store that refuses the claim (a wrong type under the key) answers like any store failure.
    const id = legacyIdOf(cookie);
    const value = await legacyStore.client.get(prefix + id);
    await legacyStore.client.del(prefix + id);
    await legacyStore.client.lpush(prefix + id, 'not-a-string');
    const answer = await send(axess.url, 'GET', '/me', { cookie });
    expect(answer.status).toBe(503);
    await legacyStore.client.del(prefix + id);
    await legacyStore.client.set(prefix + id, value!, 'PX', 60_000);
    expect((await send(axess.url, 'GET', '/me', { cookie })).body.userId).toBe('carol');
  });
});
