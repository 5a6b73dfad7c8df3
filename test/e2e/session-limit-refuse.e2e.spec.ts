import { randomBytes } from 'node:crypto';
import { AXESS_METRICS, SessionRegistry, SessionStore } from '../../src/internal';
import { cookiePair, send, startTestApp, type AdapterName, type BackendName, type TestApp } from '../harness/http-app';
import { MetricsProbe } from '../harness/telemetry';
import { liveSessions } from '../harness/live-sessions';

const ADAPTERS: AdapterName[] = ['express', 'fastify'];
const BACKENDS: BackendName[] = ['valkey', 'memory'];
const MATRIX = ADAPTERS.flatMap((adapter) => BACKENDS.map((backend) => [adapter, backend] as const));
const REFUSED = { statusCode: 409, message: 'Conflict', reason: 'session-limit' };

const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
const idOf = (pair: string) => pair.split('=')[1].split('.')[0];

/** Signs `name` in on `path` (with the request's `cookie`, if any) and expects it admitted. */
async function signIn(t: TestApp, name: string, path: string, cookie?: string): Promise<string> {
  const answer = await send(t.url, 'POST', path, { cookie, headers: { 'x-user': name } });
  expect(answer.status).toBe(200);
  const pair = cookiePair(answer);
  expect(pair).toBeDefined();
  return pair!;
}

async function userOf(t: TestApp, cookie: string): Promise<string | null> {
  const answer = await send(t.url, 'GET', '/', { cookie });
  expect(answer.status).toBe(200);
  return answer.body.userId as string | null;
}

describe.each(MATRIX)('%s + %s: onSessionLimit refuse through MaxSessionsGuard', (adapter, backend) => {
  describe("module default 'evict-oldest', route @MaxSessions(2, { onSessionLimit: 'refuse' })", () => {
    let t: TestApp;
    const metrics = new MetricsProbe();
    beforeAll(async () => {
      t = await startTestApp(adapter, backend, { telemetry: { meterProvider: metrics.provider, traces: false } });
    });
    afterAll(async () => {
      await t?.close();
      await metrics.shutdown();
    });

    it('a third sign-in answers 409 with the reason, sets no cookie, changes no session and keeps its anonymous session', async () => {
      const name = user('refuse');
      const first = await signIn(t, name, '/login-two-refuse');
      const second = await signIn(t, name, '/login-two-refuse');
      // The third device has an anonymous session with data (a cart) before it signs in.
      const anon = await send(t.url, 'POST', '/data', { body: { cart: ['book'] } });
      const anonCookie = cookiePair(anon)!;
      const refusedBefore = await metrics.sum(AXESS_METRICS.logins, { outcome: 'refused' });
      const sessionsBefore = await t.app.get(SessionRegistry).members(name);

      const refused = await send(t.url, 'POST', '/login-two-refuse', { cookie: anonCookie, headers: { 'x-user': name } });
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual(REFUSED);
      expect(refused.setCookies).toEqual([]);

      // Both sessions are untouched and usable; the registry is as it was; nothing is marked ended.
      expect(await userOf(t, first)).toBe(name);
      expect(await userOf(t, second)).toBe(name);
      expect(await t.app.get(SessionRegistry).members(name)).toEqual(sessionsBefore);
      for (const pair of [first, second]) expect(await t.app.get(SessionStore).goneReason(idOf(pair))).toBeUndefined();
      // The anonymous session lives on with its data, under the same id.
      const after = await send(t.url, 'GET', '/visit', { cookie: anonCookie });
      expect(after.body).toEqual({ id: idOf(anonCookie), userId: null, data: { cart: ['book'] } });
      expect(after.setCookies).toEqual([]);
      expect((await metrics.sum(AXESS_METRICS.logins, { outcome: 'refused' })) - refusedBefore).toBe(1);
    });

    it('the refused sign-in leaves no session record behind', async () => {
      const name = user('leak');
      const first = await signIn(t, name, '/login-two-refuse');
      const second = await signIn(t, name, '/login-two-refuse');
      const store = t.app.get(SessionStore);
      for (let i = 0; i < 5; i++) {
        const refused = await send(t.url, 'POST', '/login-two-refuse', { headers: { 'x-user': name } });
        expect(refused.status).toBe(409);
      }
      expect(new Set(await liveSessions(t.app, name))).toEqual(new Set([idOf(first), idOf(second)]));
      if (t.client) {
        // Every record under the prefix belongs to a signed-in session: the refused ones' were deleted.
        const keys = await t.client.keys(`${t.prefix}:sess:*`);
        const ids = keys.map((key) => key.slice(`${t.prefix}:sess:`.length));
        const records = await Promise.all(ids.map((id) => store.load(id)));
        const own = ids.filter((_, i) => records[i]?.userId === name);
        expect(new Set(own)).toEqual(new Set([idOf(first), idOf(second)]));
      }
    });

    it('12 concurrent sign-ins of one user on the refusing route (cap 2): exactly 2 admitted, 10 refused, 5 runs', async () => {
      for (let run = 0; run < 5; run++) {
        const name = user('burst');
        const answers = await Promise.all(
          Array.from({ length: 12 }, () => send(t.url, 'POST', '/login-two-refuse', { headers: { 'x-user': name } })),
        );
        const admitted = answers.filter((a) => a.status === 200);
        expect(admitted).toHaveLength(2);
        expect(answers.filter((a) => a.status === 409 && a.setCookies.length === 0)).toHaveLength(10);
        for (const answer of admitted) expect(await userOf(t, cookiePair(answer)!)).toBe(name);
        expect(new Set(await liveSessions(t.app, name))).toEqual(new Set(admitted.map((a) => idOf(cookiePair(a)!))));
      }
    });

    it('once a session signs out, a sign-in is admitted again; the same route with the module default evicts', async () => {
      const name = user('again');
      const first = await signIn(t, name, '/login-two-refuse');
      const second = await signIn(t, name, '/login-two-refuse');
      expect((await send(t.url, 'POST', '/login-two-refuse', { headers: { 'x-user': name } })).status).toBe(409);
      expect((await send(t.url, 'POST', '/logout', { cookie: first })).status).toBeLessThan(300);
      const third = await signIn(t, name, '/login-two-refuse');
      expect(await userOf(t, second)).toBe(name);
      expect(await userOf(t, third)).toBe(name);
      // @MaxSessions(2, { onSessionLimit: 'evict-oldest' }) at the same cap: admitted, the oldest evicted.
      const fourth = await signIn(t, name, '/login-two-evict');
      expect(await userOf(t, second)).toBeNull();
      expect(await userOf(t, fourth)).toBe(name);
    });
  });

  describe("module default 'refuse' (maxSessionsPerUser 2), route @MaxSessions(2, { onSessionLimit: 'evict-oldest' })", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(adapter, backend, { maxSessionsPerUser: 2, onSessionLimit: 'refuse' });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('the module default refuses; the evicting route overrides it and evicts the oldest', async () => {
      const name = user('default');
      const first = await signIn(t, name, '/login');
      const second = await signIn(t, name, '/login');
      const refused = await send(t.url, 'POST', '/login', { headers: { 'x-user': name } });
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual(REFUSED);
      expect(refused.setCookies).toEqual([]);
      expect(await userOf(t, first)).toBe(name);

      const evicting = await signIn(t, name, '/login-two-evict');
      expect(await userOf(t, first)).toBeNull();
      expect(await userOf(t, second)).toBe(name);
      expect(await userOf(t, evicting)).toBe(name);
    });

    it('@MaxSessions(1) without a policy keeps the module default: refuse', async () => {
      const name = user('one');
      const only = await signIn(t, name, '/login-one');
      const refused = await send(t.url, 'POST', '/login-one', { headers: { 'x-user': name } });
      expect(refused.status).toBe(409);
      expect(await userOf(t, only)).toBe(name);
    });
  });
});
