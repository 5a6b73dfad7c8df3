import { randomBytes } from 'node:crypto';
import { CommandLog } from '../harness/command-log';
import { cookiePair, send } from '../harness/http-app';
import { startLegacyExpressApp, type LegacyApp } from '../harness/legacy-session-apps';
import { clearedCookie, expressSessionCookie, legacyIdOf, legacySecrets, MigratedFeature } from '../harness/migration.app';
import { startModuleApp, type AdapterName, type ModuleApp } from '../harness/module-app';
import { uniquePrefix } from '../harness/valkey';

/**
 * The switch from express-session + connect-redis + passport session mode to axess, on one
 * Valkey: sessions signed in before the switch stay signed in, each imported once.
 */
describe.each<AdapterName>(['express', 'fastify'])('migrateFrom.expressSession, axess on %s', (adapter) => {
  const secrets = legacySecrets();
  const prefix = `${uniquePrefix('sess')}:`;
  let legacy: LegacyApp;
  let axess: ModuleApp;
  const signedIn: Array<{ user: string; cookie: string }> = [];

  const legacyKeyExists = async (cookie: string) => (await axess.client.exists(prefix + legacyIdOf(cookie))) === 1;

  beforeAll(async () => {
    legacy = await startLegacyExpressApp({ secrets, prefix });
    // Before the switch: alice on 4 devices (cap 3 after it), bob and carol on one each.
    for (const user of ['alice', 'alice', 'alice', 'alice', 'bob', 'carol']) signedIn.push({ user, cookie: await legacy.signIn(user) });
    axess = await startModuleApp(adapter, MigratedFeature, {
      maxSessionsPerUser: 3,
      cookie: { secure: false },
      migrateFrom: { expressSession: { secrets, prefix } },
    });
  });
  afterAll(async () => {
    await axess?.close();
    await legacy?.close();
  });

  it('every legacy cookie keeps its user signed in; the cap applies to what was imported', async () => {
    const imported: Array<{ user: string; cookie: string }> = [];
    for (const { user, cookie } of signedIn) {
      expect(await legacyKeyExists(cookie)).toBe(true);
      const answer = await send(axess.url, 'GET', '/me', { cookie });
      expect(answer.status).toBe(200);
      expect(answer.body.userId).toBe(user);
      const axessCookie = cookiePair(answer);
      expect(axessCookie).toBeDefined();
      // The legacy cookie is cleared in the same response, with the path it was set with.
      const cleared = clearedCookie(answer.setCookies, 'connect.sid');
      expect(cleared).toMatch(/Path=\//);
      expect(cleared).toMatch(/Max-Age=0/);
      expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect(await legacyKeyExists(cookie)).toBe(false);
      imported.push({ user, cookie: axessCookie! });
    }
    const usable = [];
    for (const { user, cookie } of imported) {
      const answer = await send(axess.url, 'GET', '/me', { cookie });
      if (answer.status === 200) usable.push(user);
      else expect(answer.body.reason).toBe('evicted:newer-sign-in');
    }
    // 6 sessions signed in before the switch: all 6 imported, 5 usable (alice's oldest evicted by her cap of 3).
    expect(usable).toEqual(['alice', 'alice', 'alice', 'bob', 'carol']);
    expect((await send(axess.url, 'GET', '/me', { cookie: imported[0].cookie })).status).toBe(401);
    const aliceDevices = await send(axess.url, 'GET', '/sessions', { cookie: imported[3].cookie });
    expect(aliceDevices.body.count).toBe(3);
  });

  it('a replayed legacy cookie, already imported, imports nothing: no session, no key read but its own', async () => {
    const answer = await send(axess.url, 'GET', '/visit', { cookie: signedIn[1].cookie });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ userId: null, sessionId: null, data: {} });
    expect(cookiePair(answer)).toBeUndefined();
    expect((await send(axess.url, 'GET', '/me', { cookie: signedIn[1].cookie })).status).toBe(401);
  });

  it('a session without a user imports as an anonymous session with its data', async () => {
    const cookie = await legacy.anonymousCart({ items: ['book'] });
    const answer = await send(axess.url, 'GET', '/visit', { cookie });
    expect(answer.body.userId).toBeNull();
    expect(answer.body.data).toEqual({ cart: { items: ['book'] } });
    expect(clearedCookie(answer.setCookies, 'connect.sid')).toBeDefined();
    const next = await send(axess.url, 'GET', '/visit', { cookie: cookiePair(answer) });
    expect(next.body.data).toEqual({ cart: { items: ['book'] } });
    expect(await legacyKeyExists(cookie)).toBe(false);
  });

  it('forged, unsigned, tampered or injected legacy cookies are ignored without reading any key', async () => {
    const real = await legacy.signIn('erin');
    const id = legacyIdOf(real);
    const tampered = `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`;
    const signedValue = decodeURIComponent(real.slice(real.indexOf('=') + 1)).slice(2);
    const attempts = [
      `connect.sid=${id}`, // unsigned, as the id alone
      `connect.sid=${encodeURIComponent(signedValue)}`, // signed but without express-session's "s:"
      `connect.sid=${encodeURIComponent(`s:${id}`)}`, // no signature
      `connect.sid=${encodeURIComponent(`s:${id}.${randomBytes(32).toString('base64').replace(/=+$/, '')}`)}`, // forged signature
      `connect.sid=${encodeURIComponent(`s:${tampered}${signedValue.slice(id.length)}`)}`, // id changed, signature kept
      expressSessionCookie(id, 'not-the-secret'), // another secret
      // Key injection: ids that verify under the real secret but are no express-session id.
      expressSessionCookie('*', secrets[0]),
      expressSessionCookie(`${id}*`, secrets[0]),
      expressSessionCookie(`{${id}}:x`, secrets[1]),
      expressSessionCookie(`../${id}`, secrets[0]),
      expressSessionCookie('a'.repeat(300), secrets[0]),
      'connect.sid=%E0%A4%A', // undecodable
      `connect.sid=${'s'.repeat(8000)}`,
    ];
    const log = new CommandLog(axess.client);
    try {
      for (const cookie of attempts) {
        const answer = await send(axess.url, 'GET', '/visit', { cookie });
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ userId: null, sessionId: null, data: {} });
        expect(answer.setCookies).toEqual([]);
      }
      expect(log.commands).toEqual([]);
    } finally {
      log.restore();
    }
    expect(await legacyKeyExists(real)).toBe(true);
    // The real cookie still imports, signed by the first secret as express-session signs.
    expect((await send(axess.url, 'GET', '/me', { cookie: real })).body.userId).toBe('erin');
  });

  it('a cookie signed with an older secret still imports (every secret verifies)', async () => {
    const id = randomBytes(24).toString('base64url');
    await axess.client.set(prefix + id, JSON.stringify({ cookie: { path: '/' }, passport: { user: 'olga' } }), 'PX', 60_000);
    const answer = await send(axess.url, 'GET', '/me', { cookie: expressSessionCookie(id, secrets[1]) });
    expect(answer.body.userId).toBe('olga');
  });

  it('10 concurrent requests with one legacy cookie import exactly one session', async () => {
    const cookie = await legacy.signIn('frank');
    const answers = await Promise.all(Array.from({ length: 10 }, () => send(axess.url, 'GET', '/me', { cookie })));
    const winners = answers.filter((answer) => answer.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => cookiePair(answer) !== undefined)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 401)).toHaveLength(9);
    const devices = await send(axess.url, 'GET', '/sessions', { cookie: cookiePair(winners[0]) });
    expect(devices.body.count).toBe(1);
  });

  it('round trips: none added to requests without the legacy cookie, or with a live axess session', async () => {
    const imported = cookiePair(await send(axess.url, 'GET', '/me', { cookie: await legacy.signIn('gina') }))!;
    const leftover = await legacy.signIn('gina');
    const log = new CommandLog(axess.client);
    try {
      await send(axess.url, 'GET', '/visit');
      expect(log.commands).toEqual([]);
      log.reset();
      // A live axess session next to a legacy cookie: the legacy cookie is not looked at.
      const both = await send(axess.url, 'GET', '/me', { cookie: `${imported}; ${leftover}` });
      expect(both.body.userId).toBe('gina');
      expect(log.commands).toEqual(['getex']);
      expect(log.roundTrips).toBe(1);
      log.reset();
      const importing = await send(axess.url, 'GET', '/me', { cookie: await legacy.signIn('hugo') });
      expect(importing.body.userId).toBe('hugo');
      // The claim (1), then the sign-in's own (3 measured; at most 4).
      expect(log.commands.slice(0, 4)).toEqual(['multi', 'pttl', 'getdel', 'exec']);
      expect(log.roundTrips).toBeLessThanOrEqual(5);
    } finally {
      log.restore();
    }
  });

  it('a malformed legacy record is "no session", logged once however often it is met', async () => {
    for (let i = 0; i < 3; i++) {
      const id = randomBytes(24).toString('base64url');
      await axess.client.set(prefix + id, i === 0 ? '{not json' : i === 1 ? '[1,2]' : '"text"', 'PX', 60_000);
      const answer = await send(axess.url, 'GET', '/visit', { cookie: expressSessionCookie(id, secrets[0]) });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ userId: null, sessionId: null, data: {} });
      expect(clearedCookie(answer.setCookies, 'connect.sid')).toBeDefined();
      expect(await axess.client.exists(prefix + id)).toBe(0);
    }
    expect(axess.logger.warnings.filter((line) => line.includes('not the JSON of a session'))).toHaveLength(1);
  });

  it('a legacy record whose id is signed but has no record (expired) is "no session", and its cookie is cleared', async () => {
    const id = randomBytes(24).toString('base64url');
    const answer = await send(axess.url, 'GET', '/visit', { cookie: expressSessionCookie(id, secrets[0]) });
    expect(answer.body.userId).toBeNull();
    expect(cookiePair(answer)).toBeUndefined();
    expect(clearedCookie(answer.setCookies, 'connect.sid')).toBeDefined();
  });

  it('the legacy cookie is cleared with the path and domain the legacy record says it was set with', async () => {
    const id = randomBytes(24).toString('base64url');
    const record = { cookie: { path: '/app', domain: 'example.com' }, passport: { user: 'ivan' }, theme: 'dark' };
    await axess.client.set(prefix + id, JSON.stringify(record), 'PX', 60_000);
    const answer = await send(axess.url, 'GET', '/visit', { cookie: expressSessionCookie(id, secrets[0]) });
    expect(answer.body).toMatchObject({ userId: 'ivan', data: { passport: { user: 'ivan' }, theme: 'dark' } });
    expect(clearedCookie(answer.setCookies, 'connect.sid')).toMatch(/Domain=example\.com; Path=\/app;/);
  });
});
