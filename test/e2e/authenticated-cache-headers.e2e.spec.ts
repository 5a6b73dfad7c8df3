import { randomBytes } from 'node:crypto';
import { cookiePair, send, startTestApp, type AdapterName, type BackendName, type TestApp } from '../harness/http-app';

const MATRIX: Array<[AdapterName, BackendName]> = [
  ['express', 'valkey'],
  ['express', 'memory'],
  ['fastify', 'valkey'],
  ['fastify', 'memory'],
];

const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

async function signedIn(t: TestApp): Promise<string> {
  const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': user('cache') } });
  expect(answer.status).toBe(200);
  return cookiePair(answer)!;
}

describe.each(MATRIX)('cache headers of authenticated responses on %s with the %s backend', (adapter, backend) => {
  describe('by default', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(adapter, backend);
    });
    afterAll(() => t.close());

    it('a signed-in JSON response is no-store', async () => {
      const cookie = await signedIn(t);
      const me = await send(t.url, 'GET', '/me', { cookie });
      expect(me.status).toBe(200);
      expect(me.setCookies).toEqual([]);
      expect(me.headers['cache-control']).toBe('no-store');
    });

    it('an anonymous response, with or without a session, is not', async () => {
      expect((await send(t.url, 'GET', '/visit')).headers['cache-control']).toBeUndefined();
      const anonymous = cookiePair(await send(t.url, 'POST', '/data', { body: { a: 1 } }));
      const seen = await send(t.url, 'GET', '/data', { cookie: anonymous });
      expect(seen.body.data).toEqual({ a: 1 });
      expect(seen.headers['cache-control']).toBeUndefined();
    });

    it("the app's own Cache-Control on a signed-in route stands", async () => {
      const cookie = await signedIn(t);
      const answer = await send(t.url, 'GET', '/me-public', { cookie });
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('public, max-age=60');
    });

    it('a logout sends no Clear-Site-Data', async () => {
      const cookie = await signedIn(t);
      const out = await send(t.url, 'POST', '/logout', { cookie });
      expect(out.setCookies.some((c) => c.startsWith('__Host-axess.sid=;'))).toBe(true);
      expect(out.headers['clear-site-data']).toBeUndefined();
    });
  });

  describe('with noStoreAuthenticated: false and clearSiteDataOnLogout: true', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(adapter, backend, { noStoreAuthenticated: false, clearSiteDataOnLogout: true });
    });
    afterAll(() => t.close());

    it('a signed-in response gets no Cache-Control from the library', async () => {
      const cookie = await signedIn(t);
      const me = await send(t.url, 'GET', '/me', { cookie });
      expect(me.status).toBe(200);
      expect(me.headers['cache-control']).toBeUndefined();
    });

    it.each(['/logout', '/destroy'])('%s clears the cookie with Clear-Site-Data: "cookies"', async (path) => {
      const cookie = await signedIn(t);
      const out = await send(t.url, 'POST', path, { cookie });
      expect(out.status).toBe(200);
      expect(out.setCookies.some((c) => c.startsWith('__Host-axess.sid=;'))).toBe(true);
      expect(out.headers['clear-site-data']).toBe('"cookies"');
      expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(401);
    });

    it('a sign-in, which sets the cookie rather than clearing it, sends no Clear-Site-Data', async () => {
      const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': user('in') } });
      expect(answer.headers['clear-site-data']).toBeUndefined();
    });
  });
});
