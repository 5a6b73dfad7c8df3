import { parseSetCookie } from 'cookie';
import { randomBytes } from 'node:crypto';
import { CookieSigner, mintSessionId, SessionHandles } from '../../src/internal';
import type { HttpRequestOptions } from './http-request';
import { cookiePair, send, type Answer } from './http-app';
import { prometheusSamples, prometheusSum } from './telemetry';

/** The per-user cap (MAX_SESSIONS) the sample must run with: the flow's cap tests are written for 3. */
export const SAMPLE_FLOW_MAX_SESSIONS = 3;

const idOf = (pair: string | undefined) => pair?.split('=')[1].split('.')[0];

/** A running sample the flow sends its requests to: in this process, or another one (test/nest12). */
export interface SampleUnderTest {
  /** Its base URL, e.g. http://127.0.0.1:port */
  url: string;
  /** The signing key it was started with (base64), to check that forged cookies fail on their MAC alone. */
  signingKey: string;
  /** The backend it was started on, as its /health reports it. */
  backend: 'valkey' | 'memory';
}

/**
 * The sample's e2e flow over real HTTP: passport-local login with the hardened cookie and id
 * rotation, the cap of 3 with eviction and the session list, revocations, logout, forged
 * cookies and /health. It only sends requests, so it runs the same against a sample in this
 * process and one started as a child process (test/nest12: Nest 12 as ES modules). Call it inside
 * a `describe`; `target` is read in the tests (the caller's `beforeAll` starts the sample).
 */
export function sampleHttpFlow(target: () => SampleUnderTest): void {
  const request = (method: string, path: string, options?: HttpRequestOptions) => send(target().url, method, path, options);
  // What the sample shows for a session instead of its id (same key, same derivation).
  const handleOf = (id: string) => new SessionHandles(target().signingKey).of(id);

  async function login(
    username: string,
    cookie?: string,
    userAgent = 'sample-e2e',
  ): Promise<{ answer: Answer; cookie: string; id: string; handle: string }> {
    const answer = await request('POST', '/auth/login', {
      cookie,
      body: { username, password: `${username}-password` },
      headers: { 'user-agent': userAgent },
    });
    expect(answer.status).toBe(200);
    const pair = cookiePair(answer);
    expect(pair).toBeDefined();
    return { answer, cookie: pair!, id: idOf(pair)!, handle: handleOf(idOf(pair)!) };
  }

  const me = (cookie: string) => request('GET', '/me', { cookie });

  describe('POST /auth/login (passport-local before MaxSessionsGuard)', () => {
    it("good credentials: 200, a hardened session cookie, and the body names the cookie's session by its handle", async () => {
      const { answer, id, handle, cookie } = await login('alice');
      const header = answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='))!;
      const parsed = parseSetCookie(header);
      expect(parsed.httpOnly).toBe(true);
      expect(parsed.secure).toBe(true);
      expect(String(parsed.sameSite).toLowerCase()).toBe('lax');
      expect(parsed.path).toBe('/');
      expect(answer.body).toEqual({ userId: 'alice', handle });
      expect(handle).not.toContain(id);
      const seen = await me(cookie);
      expect(seen.status).toBe(200);
      expect(seen.body).toEqual({ userId: 'alice', handle });
    });

    it('"rememberMe": true makes the cookie persistent (Max-Age up to the remembered 30-day deadline); without it a browser-session cookie', async () => {
      const remembered = await request('POST', '/auth/login', { body: { username: 'bob', password: 'bob-password', rememberMe: true } });
      expect(remembered.status).toBe(200);
      const persistent = parseSetCookie(remembered.setCookies.find((c) => c.startsWith('__Host-axess.sid='))!);
      expect(persistent.maxAge).toBeGreaterThan(30 * 86_400 - 60);
      expect(persistent.maxAge).toBeLessThanOrEqual(30 * 86_400);
      expect((await me(cookiePair(remembered)!)).status).toBe(200);
      const plain = parseSetCookie((await login('bob')).answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='))!);
      expect(plain.maxAge).toBeUndefined();
      expect(plain.expires).toBeUndefined();
    });

    it('signed-in JSON answers are Cache-Control: no-store (/me, /auth/sessions); a signed-out one is not', async () => {
      const { cookie } = await login('alice');
      for (const path of ['/me', '/auth/sessions']) {
        const answer = await request('GET', path, { cookie });
        expect({ path, status: answer.status, cacheControl: answer.headers['cache-control'] }).toEqual({
          path,
          status: 200,
          cacheControl: 'no-store',
        });
      }
      expect((await request('GET', '/me')).headers['cache-control']).toBeUndefined();
    });

    it('a bad password: 401 and no session cookie', async () => {
      const answer = await request('POST', '/auth/login', { body: { username: 'alice', password: 'bob-password' } });
      expect(answer.status).toBe(401);
      expect(cookiePair(answer)).toBeUndefined();
    });

    it('an unknown user: 401 and no session cookie', async () => {
      const answer = await request('POST', '/auth/login', { body: { username: 'mallory', password: 'mallory-password' } });
      expect(answer.status).toBe(401);
      expect(cookiePair(answer)).toBeUndefined();
    });

    it('no body and no content-type: 415 (the JSON API takes JSON only), no session cookie', async () => {
      const answer = await request('POST', '/auth/login');
      expect(answer.status).toBe(415);
      expect(cookiePair(answer)).toBeUndefined();
    });

    it.each([
      ['an empty object', {}],
      ['no password', { username: 'alice' }],
      ['no username', { password: 'alice-password' }],
      ['non-string fields', { username: ['alice'], password: { $ne: '' } }],
    ])('%s: 401 from passport-local, no session cookie, never 500', async (_label, body) => {
      const answer = await request('POST', '/auth/login', { body });
      expect(answer.status).toBe(401);
      expect(cookiePair(answer)).toBeUndefined();
    });

    it('logging in again as the same user rotates the session: a new cookie, the old one dead', async () => {
      const first = await login('alice');
      const again = await request('POST', '/auth/login', { cookie: first.cookie, body: { username: 'alice', password: 'alice-password' } });
      expect(again.status).toBe(200);
      const id = idOf(cookiePair(again));
      expect(id).toBeDefined();
      expect(id).not.toBe(first.id);
      expect(again.body).toEqual({ userId: 'alice', handle: handleOf(id!) });
      expect((await me(cookiePair(again)!)).body).toEqual({ userId: 'alice', handle: handleOf(id!) });
      expect((await me(first.cookie)).status).toBe(401);
    });

    it("rotates the id: after bob logs in over alice's cookie in the same browser, that cookie no longer works", async () => {
      const alice = await login('alice');
      const bob = await login('bob', alice.cookie);
      expect(bob.id).not.toBe(alice.id);
      expect((await me(bob.cookie)).body).toEqual({ userId: 'bob', handle: bob.handle });
      expect((await me(alice.cookie)).status).toBe(401);
    });
  });

  describe('the cap of 3 sessions per user', () => {
    it('a 4th login evicts the oldest: its cookie gets 401, the 3 newest get 200 and are listed oldest first', async () => {
      const logins = [];
      for (let i = 0; i < 4; i++) logins.push(await login('alice', undefined, `browser-${i}`));
      expect((await me(logins[0].cookie)).status).toBe(401);
      for (const l of logins.slice(1)) {
        const seen = await me(l.cookie);
        expect(seen.status).toBe(200);
        expect(seen.body).toEqual({ userId: 'alice', handle: l.handle });
      }

      const listed = await request('GET', '/auth/sessions', { cookie: logins[3].cookie });
      expect(listed.status).toBe(200);
      const sessions = listed.body as Array<{ handle: string; current: boolean; ip?: string; userAgent?: string }>;
      expect(sessions.map((s) => s.handle)).toEqual(logins.slice(1).map((l) => l.handle));
      expect(sessions.filter((s) => s.current)).toEqual([expect.objectContaining({ handle: logins[3].handle })]);
      expect(JSON.stringify(sessions)).not.toMatch(new RegExp(logins.map((l) => l.id).join('|')));
      sessions.forEach((s, i) => {
        expect(s.ip).toMatch(/127\.0\.0\.1/);
        expect(s.userAgent).toBe(`browser-${i + 1}`);
      });
    });

    it('GET /auth/sessions without a session: 401', async () => {
      expect((await request('GET', '/auth/sessions')).status).toBe(401);
    });
  });

  describe('DELETE /auth/sessions/:handle', () => {
    it("revoking one's own other session by its handle: 200, and that session's next request gets 401", async () => {
      const phone = await login('alice');
      const laptop = await login('alice');
      const answer = await request('DELETE', `/auth/sessions/${phone.handle}`, { cookie: laptop.cookie, body: {} });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ revoked: phone.handle });
      expect((await me(phone.cookie)).status).toBe(401);
      expect((await me(laptop.cookie)).status).toBe(200);
    });

    it.each([
      ['handle', (s: { handle: string }) => s.handle],
      ['session id', (s: { id: string }) => s.id],
    ])("bob revoking alice's session by its %s: 404, and alice's session still works", async (_label, pick) => {
      const alice = await login('alice');
      const bob = await login('bob');
      const answer = await request('DELETE', `/auth/sessions/${pick(alice)}`, { cookie: bob.cookie, body: {} });
      expect(answer.status).toBe(404);
      const seen = await me(alice.cookie);
      expect(seen.status).toBe(200);
      expect(seen.body).toEqual({ userId: 'alice', handle: alice.handle });
      expect((await me(bob.cookie)).status).toBe(200);
    });

    it.each([
      ['the handle of an unknown minted id', () => handleOf(mintSessionId())],
      ['a malformed handle', () => 'not-a-handle'],
      ['a handle with one character changed', () => handleOf(mintSessionId()).slice(0, -1) + '_'],
      ['a wildcard', () => '*'],
      ['a value four times as long as a handle', () => 'A'.repeat(88)],
    ])('%s: 404, never 500', async (_label, id) => {
      const alice = await login('alice');
      const answer = await request('DELETE', `/auth/sessions/${encodeURIComponent(id())}`, { cookie: alice.cookie, body: {} });
      expect(answer.status).toBe(404);
      expect((await me(alice.cookie)).status).toBe(200);
    });

    it("another of the user's sessions named by its raw id instead of its handle: 404, and that session still works", async () => {
      const phone = await login('alice');
      const laptop = await login('alice');
      expect((await request('DELETE', `/auth/sessions/${phone.id}`, { cookie: laptop.cookie, body: {} })).status).toBe(404);
      expect((await me(phone.cookie)).status).toBe(200);
    });

    it('without a session: 401', async () => {
      const alice = await login('alice');
      expect((await request('DELETE', `/auth/sessions/${alice.handle}`, { body: {} })).status).toBe(401);
      expect((await me(alice.cookie)).status).toBe(200);
    });
  });

  describe('POST /auth/logout', () => {
    it('200, and the old cookie gets 401 afterwards; other sessions of the user survive', async () => {
      const other = await login('alice');
      const current = await login('alice');
      const answer = await request('POST', '/auth/logout', { cookie: current.cookie, body: {} });
      expect(answer.status).toBe(200);
      expect((await me(current.cookie)).status).toBe(401);
      expect((await request('POST', '/auth/logout', { cookie: current.cookie, body: {} })).status).toBe(401);
      expect((await me(other.cookie)).status).toBe(200);
    });
  });

  describe('forged cookies', () => {
    let real: { cookie: string; id: string };
    beforeAll(async () => {
      real = await login('alice');
    });

    const forgeries: Array<[string, () => string]> = [
      ['the real id with a wrong MAC', () => `__Host-axess.sid=${real.id}.${randomBytes(32).toString('base64url')}`],
      ['a random id with a random MAC', () => `__Host-axess.sid=${mintSessionId()}.${randomBytes(32).toString('base64url')}`],
      ['the real id re-signed with another key', () => `__Host-axess.sid=${new CookieSigner(randomBytes(32)).sign(real.id)}`],
      ['a truncated cookie', () => real.cookie.slice(0, -5)],
      ['the id without MAC', () => `__Host-axess.sid=${real.id}`],
    ];

    it.each(forgeries)('%s: 401 on /me, never 500, and no session is handed out', async (_label, forge) => {
      const answer = await me(forge());
      expect(answer.status).toBe(401);
      expect(answer.body).not.toHaveProperty('userId');
      expect(cookiePair(answer)).toBeUndefined();
    });

    it("the real cookie, signed with the app's key, still works (the forgeries were refused for their MAC)", async () => {
      expect(`__Host-axess.sid=${new CookieSigner(Buffer.from(target().signingKey, 'base64')).sign(real.id)}`).toBe(real.cookie);
      expect((await me(real.cookie)).status).toBe(200);
    });
  });

  describe('GET /health', () => {
    it('200 from Terminus with the session store up while the backend answers', async () => {
      const answer = await request('GET', '/health');
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        status: 'ok',
        info: { 'session-store': { status: 'up', backend: target().backend, latencyMs: expect.any(Number) } },
        error: {},
      });
    });
  });

  describe('GET /metrics', () => {
    const scrape = async () => {
      const answer = await request('GET', '/metrics');
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/plain;/);
      expect(answer.headers['content-type']).toContain('version=0.0.4');
      expect(typeof answer.body).toBe('string');
      return answer.body as string;
    };

    it('Prometheus text: four sign-ins of alice with cap 3 add 4 to axess_logins_total and evict her oldest session (axess_sessions_ended_total, reason evicted:newer-sign-in)', async () => {
      // The metrics are the process's: compare before and after (other samples may share it).
      const before = await scrape();
      const logins = [];
      for (let i = 0; i < 4; i++) logins.push(await login('alice'));
      expect((await me(logins[0].cookie)).status).toBe(401);
      const after = await scrape();

      expect(after).toMatch(/^# TYPE axess_logins_total counter$/m);
      expect(after).toMatch(/^# TYPE axess_sessions_ended_total counter$/m);
      const admitted = (text: string) => prometheusSum(text, 'axess_logins_total', { outcome: 'admitted' });
      const evicted = (text: string) => prometheusSum(text, 'axess_sessions_ended_total', { reason: 'evicted:newer-sign-in' });
      expect(admitted(after) - admitted(before)).toBe(4);
      expect(evicted(after) - evicted(before)).toBeGreaterThanOrEqual(1);
      expect(after).toMatch(/^axess_sessions_ended_total\{[^}]*reason="evicted:newer-sign-in"[^}]*\} \d+/m);
      // The store's latency histogram, by operation; and never a session id in any line.
      expect(prometheusSamples(after, 'axess_store_duration_count').map((s) => s.labels.operation)).toEqual(
        expect.arrayContaining(['load', 'save', 'admit']),
      );
      for (const l of logins) expect(after).not.toContain(l.id);
    });

    it('counts a forged cookie as rejected (bad-signature)', async () => {
      const rejected = (text: string) => prometheusSum(text, 'axess_cookies_rejected_total', { reason: 'bad-signature' });
      const before = rejected(await scrape());
      expect((await me(`__Host-axess.sid=${mintSessionId()}.${randomBytes(32).toString('base64url')}`)).status).toBe(401);
      expect(rejected(await scrape()) - before).toBe(1);
    });
  });
}
