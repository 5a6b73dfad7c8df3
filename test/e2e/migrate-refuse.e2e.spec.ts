import { cookiePair, send } from '../harness/http-app';
import { startLegacyExpressApp, type LegacyApp } from '../harness/legacy-session-apps';
import { clearedCookie, legacyIdOf, legacySecrets, MigratedFeature } from '../harness/migration.app';
import { startModuleApp, type AdapterName, type ModuleApp } from '../harness/module-app';
import { uniquePrefix } from '../harness/valkey';

/**
 * migrateFrom with `onSessionLimit: 'refuse'`: a legacy session of a user whose sessions already
 * fill the cap is not imported (nobody is evicted by the import), and the request goes on
 * without a session instead of answering 409.
 */
describe.each<AdapterName>(['express', 'fastify'])("migrateFrom.expressSession with onSessionLimit 'refuse', axess on %s", (adapter) => {
  const secrets = legacySecrets();
  const prefix = `${uniquePrefix('sess')}:`;
  let legacy: LegacyApp;
  let axess: ModuleApp;

  beforeAll(async () => {
    legacy = await startLegacyExpressApp({ secrets, prefix });
    axess = await startModuleApp(adapter, MigratedFeature, {
      maxSessionsPerUser: 2,
      onSessionLimit: 'refuse',
      cookie: { secure: false },
      migrateFrom: { expressSession: { secrets, prefix } },
    });
  });
  afterAll(async () => {
    await axess?.close();
    await legacy?.close();
  });

  it('imports up to the cap; the next legacy session is dropped, its cookie cleared, and the imported ones stay signed in', async () => {
    const legacyCookies = [await legacy.signIn('dana'), await legacy.signIn('dana'), await legacy.signIn('dana')];
    const imported: string[] = [];
    for (const cookie of legacyCookies.slice(0, 2)) {
      const answer = await send(axess.url, 'GET', '/me', { cookie });
      expect(answer.status).toBe(200);
      expect(answer.body.userId).toBe('dana');
      imported.push(cookiePair(answer)!);
    }
    const third = await send(axess.url, 'GET', '/me', { cookie: legacyCookies[2] });
    expect(third.status).toBe(401);
    expect(cookiePair(third)).toBeUndefined();
    expect(clearedCookie(third.setCookies, 'connect.sid')).toMatch(/Max-Age=0/);
    expect(await axess.client.exists(prefix + legacyIdOf(legacyCookies[2]))).toBe(0);
    for (const cookie of imported) expect((await send(axess.url, 'GET', '/me', { cookie })).body.userId).toBe('dana');
  });
});
