import { parseSetCookie } from 'cookie';
import { SessionStore } from '../../src';
import { CookieSigner, mintSessionId } from '../../src/internal';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { HEALTH_DOWN_MESSAGE, HEALTH_KEY } from '../../sample/health.controller';
import { createSampleApp, type SampleApp } from '../../sample/sample.app';
import { startSample, type RunningSample } from '../harness/sample-server';
import { withTestClient } from '../harness/valkey-hooks';
import { cookiePair, send, type Answer } from '../harness/http-app';
import { csrfTokenIn, PageClient } from '../harness/page-client';
import { listen, sampleConfig } from '../harness/sample-e2e.flow';

const MAX_SESSIONS = 5;
const idOf = (pair: string) => pair.split('=')[1].split('.')[0];

/** True when `answer` clears the session cookie (Max-Age=0 or an expiry in the past). */
function clearsSessionCookie(answer: Answer): boolean {
  const header = answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='));
  if (!header) return false;
  const parsed = parseSetCookie(header);
  return parsed.maxAge === 0 || (parsed.expires !== undefined && parsed.expires.getTime() <= Date.now());
}

/**
 * Findings of an outside attack on the sample, each reproduced against a real valkey-server on
 * Express and Fastify: anonymous page loads filling Valkey (A), a CSRF token surviving a JSON
 * login (B), body-less JSON posts skipping the content-type check and an Origin check blind to
 * the scheme (C), /health echoing the client's error (F), and revoking the current session over
 * the API leaving a dead cookie behind (G). Failed sign-ins (E) are in sample-sign-in-throttle.
 */
describe.each(['express', 'fastify'] as const)('sample hardening on %s (real Valkey)', (adapter) => {
  let running: RunningSample;
  let base: string;
  const valkey = withTestClient();

  beforeAll(async () => {
    running = await startSample(adapter, MAX_SESSIONS);
    base = `http://127.0.0.1:${running.port}`;
  });

  afterAll(async () => {
    await running?.close();
  });

  /** Every key under the app's prefix (sessions, registries, markers, throttle counts). */
  async function appKeys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await valkey.client.scan(cursor, 'MATCH', `${running.prefix}:*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys.sort();
  }

  async function login(username = 'alice', cookie?: string): Promise<{ cookie: string; id: string; handle: string }> {
    const answer = await send(base, 'POST', '/auth/login', { cookie, body: { username, password: `${username}-password` } });
    expect(answer.status).toBe(200);
    const pair = cookiePair(answer)!;
    return { cookie: pair, id: idOf(pair), handle: (answer.body as { handle: string }).handle };
  }

  const me = async (cookie: string) => (await send(base, 'GET', '/me', { cookie })).status;

  describe('A: anonymous page loads store nothing', () => {
    it("2,000 anonymous loads of / and of the sign-in page (/devices) add no key under the app's prefix and set no session cookie", async () => {
      const before = await appKeys();
      const paths = Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? '/' : '/devices'));
      let sessionCookies = 0;
      let forms = 0;
      // Fresh visitors (no cookies), 16 at a time.
      for (let i = 0; i < paths.length; i += 16) {
        const answers = await Promise.all(paths.slice(i, i + 16).map((path) => fetch(base + path, { redirect: 'manual' })));
        for (const res of answers) {
          expect(res.status).toBe(200);
          if (res.headers.getSetCookie().some((c) => c.startsWith('__Host-axess.sid='))) sessionCookies++;
          if ((await res.text()).includes('name="_csrf"')) forms++;
        }
      }
      expect(forms).toBe(2000);
      expect(sessionCookies).toBe(0);
      expect(await appKeys()).toEqual(before);
      // 2,000 requests: a few seconds, more on a busy machine.
    }, 120_000);

    it('a visitor who only loads the sign-in page leaves nothing, and one who signs in with its token gets exactly their session', async () => {
      const before = new Set(await appKeys());
      const c = new PageClient(base);
      const token = csrfTokenIn(await c.get('/'));
      csrfTokenIn(await c.get('/devices'));
      expect(c.cookie).toBeUndefined();
      expect(c.signInCookie).toBeDefined();
      expect((await appKeys()).filter((k) => !before.has(k))).toEqual([]);
      const answer = await c.post('/signin', { _csrf: token, username: 'alice', password: 'alice-password' });
      expect(answer.status).toBe(303);
      // The sign-in cookie has done its job and is removed.
      expect(c.signInCookie).toBeUndefined();
      const added = (await appKeys()).filter((k) => !before.has(k));
      expect(added).toEqual(expect.arrayContaining([`${running.prefix}:sess:${idOf(c.cookie!)}`]));
      expect(added.filter((k) => k.includes(':sess:'))).toHaveLength(1);
    });
  });

  describe('B: the CSRF token is rotated at every sign-in', () => {
    /**
     * Session donation: an anonymous session whose CSRF token the attacker knows, with its cookie
     * planted in the victim's browser (e.g. from a sibling subdomain). Its data is carried into
     * the victim's session at sign-in, so the token must not be.
     */
    async function plantedSession(token: string): Promise<string> {
      const id = mintSessionId();
      const store = running.sample.app.get(SessionStore);
      expect(await store.save(id, { data: { csrf: token }, createdAt: Date.now() }, 60_000, { mode: 'create' })).toBe(true);
      return `__Host-axess.sid=${new CookieSigner(Buffer.from(running.config.signingKey, 'base64')).sign(id)}`;
    }

    it('JSON login: a token planted in the anonymous session before it no longer works after it', async () => {
      const other = await login('alice');
      const planted = 'p'.repeat(43);
      const victim = await login('alice', await plantedSession(planted));
      const page = new PageClient(base);
      page.cookie = victim.cookie;
      const refused = await page.post('/devices/revoke-others', { _csrf: planted });
      expect(refused.status).toBe(403);
      expect(await me(other.cookie)).toBe(200);
      // The session has a token of its own, and it works.
      const devices = await page.get('/devices');
      expect(csrfTokenIn(devices)).not.toBe(planted);
      expect((await page.post('/devices/revoke-others', { _csrf: csrfTokenIn(devices) })).status).toBe(303);
      expect(await me(other.cookie)).toBe(401);
    });

    it('form login: the same', async () => {
      const other = await login('bob');
      const planted = 'q'.repeat(43);
      const c = new PageClient(base);
      c.cookie = await plantedSession(planted);
      const token = csrfTokenIn(await c.get('/'));
      expect((await c.post('/signin', { _csrf: token, username: 'bob', password: 'bob-password' })).status).toBe(303);
      expect((await c.post('/devices/revoke-others', { _csrf: planted })).status).toBe(403);
      expect(await me(other.cookie)).toBe(200);
    });
  });

  describe('C: every state-changing JSON route needs content-type application/json, with a body or without', () => {
    const routes: Array<[string, string, (s: { handle: string }) => string]> = [
      ['POST', 'logout', () => '/auth/logout'],
      ['POST', 'logout-all', () => '/auth/logout-all'],
      ['POST', 'revoke-others', () => '/auth/sessions/revoke-others'],
      ['DELETE', 'sessions/:handle (another session)', (s) => `/auth/sessions/${s.handle}`],
      ['DELETE', 'sessions/:handle (this session)', () => ''],
    ];

    it.each(routes)(
      '%s /auth/%s without a body and without content-type (what a form or a simple cross-origin fetch sends): 415, nothing changes',
      async (method, _label, path) => {
        const other = await login('alice');
        const current = await login('alice');
        const target = path(other) || `/auth/sessions/${current.handle}`;
        const variants: Array<Record<string, string>> = [{}, { origin: base }, { 'content-type': 'text/plain' }];
        for (const headers of variants) {
          const answer = await send(base, method, target, { cookie: current.cookie, headers });
          expect(answer.status).toBe(415);
          expect(answer.setCookies).toEqual([]);
        }
        expect(await me(other.cookie)).toBe(200);
        expect(await me(current.cookie)).toBe(200);
        // The same request as JSON is served.
        const served = await send(base, method, target, { cookie: current.cookie, body: {} });
        expect(served.status).toBe(200);
      },
    );

    it('POST /auth/login without a body and without content-type: 415, no session', async () => {
      const answer = await send(base, 'POST', '/auth/login');
      expect(answer.status).toBe(415);
      expect(cookiePair(answer)).toBeUndefined();
    });

    it('JSON look-alike types are not JSON: application/json-patch+json gets 415', async () => {
      const answer = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json-patch+json' },
        body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
      });
      expect(answer.status).toBe(415);
    });

    it('JSON with a charset parameter is JSON', async () => {
      const answer = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
      });
      expect(answer.status).toBe(200);
    });
  });

  describe('C: the Origin check compares scheme, host and port', () => {
    it('a JSON login whose Origin is this host and port over https (another origin) is refused', async () => {
      const https = `https://127.0.0.1:${running.port}`;
      const answer = await send(base, 'POST', '/auth/login', {
        headers: { origin: https },
        body: { username: 'alice', password: 'alice-password' },
      });
      expect(answer.status).toBe(403);
      expect(cookiePair(answer)).toBeUndefined();
      expect(
        (await send(base, 'POST', '/auth/login', { headers: { origin: base }, body: { username: 'alice', password: 'alice-password' } }))
          .status,
      ).toBe(200);
    });

    it('a body-less logout from the same host over https is refused before anything else', async () => {
      const current = await login('alice');
      const answer = await send(base, 'POST', '/auth/logout', {
        cookie: current.cookie,
        headers: { origin: `https://127.0.0.1:${running.port}` },
        body: {},
      });
      expect(answer.status).toBe(403);
      expect(await me(current.cookie)).toBe(200);
    });

    it('the sign-in form and the devices forms refuse the same host over another scheme', async () => {
      const https = { origin: `https://127.0.0.1:${running.port}` };
      const c = new PageClient(base);
      const token = csrfTokenIn(await c.get('/'));
      expect((await c.post('/signin', { _csrf: token, username: 'alice', password: 'alice-password' }, https)).status).toBe(403);
      expect((await c.post('/signin', { _csrf: token, username: 'alice', password: 'alice-password' }, { origin: base })).status).toBe(303);
      const other = await login('alice');
      const devicesToken = csrfTokenIn(await c.get('/devices'));
      expect((await c.post('/devices/revoke-others', { _csrf: devicesToken }, https)).status).toBe(403);
      expect(await me(other.cookie)).toBe(200);
    });
  });

  describe('G: revoking the current session over the API clears its cookie', () => {
    it('DELETE /auth/sessions/<this session>: 200, the response clears the cookie, the session is gone; the others stay', async () => {
      const other = await login('alice');
      const current = await login('alice');
      const answer = await send(base, 'DELETE', `/auth/sessions/${current.handle}`, { cookie: current.cookie, body: {} });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ revoked: current.handle });
      expect(clearsSessionCookie(answer)).toBe(true);
      expect(await me(current.cookie)).toBe(401);
      expect(await me(other.cookie)).toBe(200);
      const listed = await send(base, 'GET', '/auth/sessions', { cookie: other.cookie });
      const handles = (listed.body as Array<{ handle: string }>).map((s) => s.handle);
      expect(handles).toContain(other.handle);
      expect(handles).not.toContain(current.handle);
    });

    it('DELETE /auth/sessions/<another session> leaves this cookie alone', async () => {
      const other = await login('alice');
      const current = await login('alice');
      const answer = await send(base, 'DELETE', `/auth/sessions/${other.handle}`, { cookie: current.cookie, body: {} });
      expect(answer.status).toBe(200);
      expect(answer.setCookies.filter((c) => c.startsWith('__Host-axess.sid='))).toEqual([]);
      expect(await me(current.cookie)).toBe(200);
      expect(await me(other.cookie)).toBe(401);
    });

    it("the devices page's revoke form with this device's own handle signs it out and clears its cookie", async () => {
      const c = new PageClient(base);
      const token = csrfTokenIn(await c.get('/'));
      await c.post('/signin', { _csrf: token, username: 'bob', password: 'bob-password' });
      const cookie = c.cookie!;
      const handle = (await send(base, 'GET', '/me', { cookie })).body.handle as string;
      const answer = await c.post(`/devices/revoke/${handle}`, { _csrf: csrfTokenIn(await c.get('/devices')) });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe('/');
      expect(c.cookie).toBeUndefined();
      expect(await me(cookie)).toBe(401);
    });
  });
});

describe.each(['express', 'fastify'] as const)('sample /health on %s when its Valkey is gone (F)', (adapter) => {
  let server: ValkeyTestServer | undefined;
  let sample: SampleApp | undefined;
  let url: string;

  beforeAll(async () => {
    server = await startValkeyServer();
    sample = await createSampleApp(sampleConfig(adapter, server.url, { commandTimeoutMs: 500 }));
    url = await listen(sample, adapter);
  });

  afterAll(async () => {
    await server?.stop();
    await sample?.close();
  });

  it("200 while it answers; then 503 with a fixed message (never the client's error text, host or port), and /me an error status, never a hang", async () => {
    const alice = await send(url, 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-password' } });
    expect(alice.status).toBe(200);
    const up = await send(url, 'GET', '/health');
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: 'ok', info: { [HEALTH_KEY]: { status: 'up', backend: 'valkey' } } });
    const port = new URL(server!.url).port;
    await server!.stop();
    server = undefined;

    for (let i = 0; i < 3; i++) {
      const down = await send(url, 'GET', '/health');
      expect(down.status).toBe(503);
      // Terminus's report: the session store's entry is fixed words (a fixed reason and message).
      const store = {
        status: 'down',
        backend: 'valkey',
        reason: expect.stringMatching(/^(unavailable|timeout)$/),
        message: HEALTH_DOWN_MESSAGE,
      };
      expect(down.body).toEqual({ status: 'error', info: {}, error: { [HEALTH_KEY]: store }, details: { [HEALTH_KEY]: store } });
      const text = JSON.stringify(down.body);
      expect(text).not.toContain(port);
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toContain('alice');
    }
    const seen = await send(url, 'GET', '/me', { cookie: cookiePair(alice) });
    expect([401, 503]).toContain(seen.status);
  });
});
