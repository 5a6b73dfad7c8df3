import { sign } from '@fastify/cookie';
import { CommandLog } from '../harness/command-log';
import { cookiePair, send } from '../harness/http-app';
import { startLegacyFastifyApp, type LegacyApp } from '../harness/legacy-session-apps';
import { clearedCookie, expressSessionCookie, legacyIdOf, legacySecrets, MigratedFeature } from '../harness/migration.app';
import { startModuleApp, type AdapterName, type ModuleApp } from '../harness/module-app';
import { uniquePrefix } from '../harness/valkey';

/**
 * The switch from @fastify/session (+ @fastify/cookie's signer, connect-redis as its store) to
 * axess: its cookie is id + "." + signature, no "s:", and its record the same JSON as
 * express-session's (a `cookie` object next to the data).
 */
describe.each<AdapterName>(['fastify', 'express'])('migrateFrom.fastifySession, axess on %s', (adapter) => {
  const secrets = legacySecrets();
  const prefix = `${uniquePrefix('fsess')}:`;
  let legacy: LegacyApp;
  let axess: ModuleApp;
  const signedIn: Array<{ user: string; cookie: string }> = [];

  const legacyKeyExists = async (cookie: string) => (await axess.client.exists(prefix + legacyIdOf(cookie))) === 1;

  beforeAll(async () => {
    legacy = await startLegacyFastifyApp({ secrets, prefix });
    for (const user of ['ivy', 'ivy', 'jack']) signedIn.push({ user, cookie: await legacy.signIn(user) });
    axess = await startModuleApp(adapter, MigratedFeature, {
      maxSessionsPerUser: 3,
      cookie: { secure: false },
      migrateFrom: { fastifySession: { secrets, prefix } },
    });
  });
  afterAll(async () => {
    await axess?.close();
    await legacy?.close();
  });

  it('every legacy cookie keeps its user signed in, imported once, its cookie cleared', async () => {
    const kept = [];
    for (const { user, cookie } of signedIn) {
      expect(await legacyKeyExists(cookie)).toBe(true);
      const answer = await send(axess.url, 'GET', '/me', { cookie });
      expect(answer.status).toBe(200);
      expect(answer.body.userId).toBe(user);
      expect(clearedCookie(answer.setCookies, 'sessionId')).toMatch(/Path=\/.*Max-Age=0|Max-Age=0.*Path=\//);
      expect(await legacyKeyExists(cookie)).toBe(false);
      if ((await send(axess.url, 'GET', '/me', { cookie: cookiePair(answer) })).status === 200) kept.push(user);
    }
    expect(kept).toEqual(['ivy', 'ivy', 'jack']);
    // Replayed: nothing left to import.
    expect((await send(axess.url, 'GET', '/me', { cookie: signedIn[0].cookie })).status).toBe(401);
  });

  it('carries the data of a session nobody signed into', async () => {
    const cookie = await legacy.anonymousCart({ items: ['pen'] });
    const answer = await send(axess.url, 'GET', '/visit', { cookie });
    expect(answer.body).toMatchObject({ userId: null, data: { cart: { items: ['pen'] } } });
    expect(cookiePair(answer)).toBeDefined();
  });

  it("verifies the cookie as @fastify/cookie's signer signs it; forged or express-session-style values read no key", async () => {
    const real = await legacy.signIn('kate');
    const id = legacyIdOf(real);
    const attempts = [
      `sessionId=${id}`,
      `sessionId=${encodeURIComponent(sign(id, 'another-secret-of-at-least-32-characters'))}`,
      `sessionId=${encodeURIComponent(`s:${sign(id, secrets[0])}`)}`, // express-session's format
      expressSessionCookie(id, secrets[0], 'sessionId'),
      `sessionId=${encodeURIComponent(sign('*', secrets[0]))}`,
      `sessionId=${encodeURIComponent(sign(`${id}:{x}`, secrets[0]))}`,
    ];
    const log = new CommandLog(axess.client);
    try {
      for (const cookie of attempts) {
        const answer = await send(axess.url, 'GET', '/visit', { cookie });
        expect(answer.body).toEqual({ userId: null, sessionId: null, data: {} });
        expect(answer.setCookies).toEqual([]);
      }
      expect(log.commands).toEqual([]);
    } finally {
      log.restore();
    }
    // @fastify/cookie's signer and a second secret: both verify.
    expect(await legacyKeyExists(real)).toBe(true);
    const rotated = `sessionId=${encodeURIComponent(sign(id, secrets[1]))}`;
    expect((await send(axess.url, 'GET', '/me', { cookie: rotated })).body.userId).toBe('kate');
  });

  it('10 concurrent requests with one legacy cookie import exactly one session', async () => {
    const cookie = await legacy.signIn('liam');
    const answers = await Promise.all(Array.from({ length: 10 }, () => send(axess.url, 'GET', '/me', { cookie })));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => cookiePair(answer) !== undefined)).toHaveLength(1);
  });
});
