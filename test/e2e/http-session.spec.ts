import { parseSetCookie } from 'cookie';
import { randomBytes } from 'node:crypto';
import {
  AxessSessionService,
  CookieSigner,
  InstrumentedSessionStore,
  mintSessionId,
  SessionRegistry,
  SessionStore,
  type InMemorySessionStore,
} from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { randomKey, testClient } from '../harness/valkey';
import { CommandLog } from '../harness/command-log';
import { cookiePair, send, startTestApp, type AdapterName, type Answer, type BackendName, type TestApp } from '../harness/http-app';
import { settle, whenLocalCacheReady } from '../harness/local-cache';
import { liveSessions } from '../harness/live-sessions';

const IDLE = 10 * 60_000;
const ABSOLUTE = 24 * 60 * 60_000;
const CAP = 3;
const ADAPTERS: AdapterName[] = ['express', 'fastify'];
/** Each backend, and Valkey again with the local cache on (`localCache`): the same behaviour either way. */
const BACKENDS: Array<[BackendName, 'local cache' | 'no cache']> = [
  ['valkey', 'no cache'],
  ['valkey', 'local cache'],
  ['memory', 'no cache'],
];
const MATRIX = ADAPTERS.flatMap((adapter) => BACKENDS.map(([backend, cache]) => [adapter, backend, cache] as const));

const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
const idOf = (pair: string | undefined) => pair?.split('=')[1].split('.')[0];

async function hasRecord(t: TestApp, id: string | undefined): Promise<boolean> {
  if (id === undefined) return false;
  return (await t.app.get(SessionStore).existing([id])).has(id);
}

async function login(t: TestApp, name: string, cookie?: string, path = '/login'): Promise<{ answer: Answer; cookie: string; id: string }> {
  const answer = await send(t.url, 'POST', path, { cookie, headers: { 'x-user': name } });
  expect(answer.status).toBe(200);
  const pair = cookiePair(answer) ?? cookie;
  expect(pair).toBeDefined();
  return { answer, cookie: pair!, id: idOf(pair)! };
}

describe.each(MATRIX)('HTTP session layer on %s with the %s backend (%s)', (adapter, backend, cache) => {
  const clock = new ManualClock(Date.UTC(2031, 0, 1));
  const localCache = cache === 'local cache';
  let t: TestApp;
  let signingKey: Buffer;

  beforeAll(async () => {
    signingKey = randomKey();
    t = await startTestApp(adapter, backend, {
      clock,
      signingKey,
      idleTimeoutMs: IDLE,
      absoluteTimeoutMs: ABSOLUTE,
      maxSessionsPerUser: CAP,
      ...(localCache ? { localCache: true } : {}),
    });
    // Until its tracking is confirmed the cache is bypassed: the tests would not exercise it.
    await whenLocalCacheReady(t.app);
  });
  afterAll(() => t.close());

  describe('cookie', () => {
    it('has the secure defaults: __Host- name, HttpOnly, Secure, SameSite=Lax, Path=/, a browser-session cookie', async () => {
      const created = await send(t.url, 'POST', '/data', { body: { a: 1 } });
      const header = created.setCookies.find((c) => c.startsWith('__Host-axess.sid='))!;
      const parsed = parseSetCookie(header);
      expect(parsed).toMatchObject({ name: '__Host-axess.sid', httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
      expect(parsed.domain).toBeUndefined();
      expect(parsed.maxAge).toBeUndefined();
      expect(parsed.expires).toBeUndefined();
      const signedIn = await login(t, user('cookie'));
      const afterLogin = parseSetCookie(signedIn.answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='))!);
      expect(afterLogin.maxAge).toBeUndefined();
      expect(afterLogin.expires).toBeUndefined();
    });

    it('is not set again on requests that keep the id', async () => {
      const created = await send(t.url, 'POST', '/data', { body: { a: 1 } });
      const cookie = cookiePair(created);
      expect((await send(t.url, 'GET', '/data', { cookie })).setCookies).toEqual([]);
      expect((await send(t.url, 'POST', '/data', { cookie, body: { b: 2 } })).setCookies).toEqual([]);
    });

    it("keeps the app's own Set-Cookie headers next to the session's", async () => {
      const answer = await send(t.url, 'POST', '/with-app-cookie');
      expect(answer.setCookies).toEqual(expect.arrayContaining(['app=1; Path=/', expect.stringMatching(/^__Host-axess\.sid=/)]));
      expect(answer.setCookies).toHaveLength(2);
    });
  });

  describe('loading and saving', () => {
    it('gives a visitor who stores nothing no cookie and no record', async () => {
      const before = await countRecords(t);
      for (const path of ['/', '/visit', '/data']) {
        const answer = await send(t.url, 'GET', path);
        expect(answer.status).toBe(200);
        expect(answer.setCookies).toEqual([]);
        expect(answer.body.id).toBeNull();
      }
      expect(await countRecords(t)).toBe(before);
    });

    it('stores data under a fresh id and shows it on the next request (every route, root included)', async () => {
      const created = await send(t.url, 'POST', '/data', { body: { cart: ['book'], n: 2 } });
      const cookie = cookiePair(created)!;
      const id = idOf(cookie)!;
      expect(created.body.id).toBeNull(); // undefined until it exists
      expect(await hasRecord(t, id)).toBe(true);
      const seen = await send(t.url, 'GET', '/data', { cookie });
      expect(seen.body).toMatchObject({ id, data: { cart: ['book'], n: 2 } });
      expect((await send(t.url, 'GET', '/', { cookie })).body.id).toBe(id);
    });

    it('clear() empties the data and keeps the session', async () => {
      const cookie = cookiePair(await send(t.url, 'POST', '/data', { body: { a: 1 } }))!;
      await send(t.url, 'POST', '/clear', { cookie });
      expect((await send(t.url, 'GET', '/data', { cookie })).body).toMatchObject({ id: idOf(cookie), data: {} });
    });

    it('commits what a handler stored before it threw', async () => {
      const failed = await send(t.url, 'POST', '/set-then-throw');
      expect(failed.status).toBe(400);
      const cookie = cookiePair(failed);
      expect(cookie).toBeDefined();
      expect((await send(t.url, 'GET', '/data', { cookie })).body.data).toEqual({ beforeError: true });
    });

    it('treats a session past its absolute timeout as none and deletes its record', async () => {
      const { cookie, id } = await login(t, user('abs'));
      expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(200);
      clock.advance(ABSOLUTE);
      expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(401);
      expect((await send(t.url, 'GET', '/visit', { cookie })).body.id).toBeNull();
      expect(await hasRecord(t, id)).toBe(false);
    });

    it('slides the idle expiry on each request', async () => {
      const { cookie, id } = await login(t, user('idle'));
      if (backend === 'memory') {
        // The memory store follows the injected clock: half the idle time twice keeps it alive.
        clock.advance(IDLE / 2);
        expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(200);
        clock.advance(IDLE / 2 + 1);
        expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(200);
        clock.advance(IDLE + 1);
        expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(401);
      } else {
        // Valkey's own clock runs the expiry: the read set it back to the full idle timeout. Shortened on
        // another connection, as another instance would (the app's own connection does not hear its own writes).
        const other = testClient();
        await other.pexpire(`${t.prefix}:sess:${id}`, 5_000);
        other.disconnect();
        await settle();
        expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(200);
        expect(await t.client!.pttl(`${t.prefix}:sess:${id}`)).toBeGreaterThan(5_000);
        expect(await t.client!.pttl(`${t.prefix}:sess:${id}`)).toBeLessThanOrEqual(IDLE);
      }
    });
  });

  describe('forged and malformed cookies', () => {
    let valid: string;
    let validId: string;
    beforeAll(async () => {
      valid = cookiePair(await send(t.url, 'POST', '/data', { body: { owner: 'real' } }))!;
      validId = idOf(valid)!;
    });

    const forgeries: Array<[string, () => string]> = [
      ['a random id and MAC', () => `__Host-axess.sid=${mintSessionId()}.${randomBytes(32).toString('base64url')}`],
      ['a truncated cookie', () => valid.slice(0, -4)],
      ['a cookie without MAC', () => `__Host-axess.sid=${validId}`],
      ['an id re-signed with another key', () => `__Host-axess.sid=${new CookieSigner(randomKey()).sign(validId)}`],
      ['a tampered id with the original MAC', () => `__Host-axess.sid=${mintSessionId()}.${valid.split('.').slice(1).join('.')}`],
      ['a wildcard id', () => `__Host-axess.sid=${'*'.repeat(32)}.${randomBytes(32).toString('base64url')}`],
    ];

    it('a forged cookie planted before the real one (duplicated name) does not hide it: the real session, updated in place', async () => {
      const cookie = `__Host-axess.sid=${mintSessionId()}.${randomBytes(32).toString('base64url')}; ${valid}`;
      const seen = await send(t.url, 'GET', '/visit', { cookie });
      expect(seen.body.id).toBe(validId);
      const stored = await send(t.url, 'POST', '/data', { cookie, body: { x: 1 } });
      expect(stored.setCookies).toEqual([]);
      expect((await send(t.url, 'GET', '/visit', { cookie: valid })).body).toMatchObject({ id: validId, data: { x: 1 } });
    });

    it.each(forgeries)('%s: no session, and what is stored gets a fresh id, never the forged one', async (_label, forge) => {
      const cookie = forge();
      const seen = await send(t.url, 'GET', '/visit', { cookie });
      expect(seen.status).toBe(200);
      expect(seen.body).toEqual({ id: null, userId: null, data: {} });
      expect(seen.setCookies).toEqual([]);
      const stored = await send(t.url, 'POST', '/data', { cookie, body: { x: 1 } });
      const fresh = idOf(cookiePair(stored));
      expect(fresh).toBeDefined();
      expect(cookie).not.toContain(fresh);
      expect(fresh).not.toBe(validId);
    });

    it('a correctly signed id with no record is not adopted (wrong id, right format)', async () => {
      const unknown = mintSessionId();
      const cookie = `__Host-axess.sid=${new CookieSigner(signingKey).sign(unknown)}`;
      expect((await send(t.url, 'GET', '/visit', { cookie })).body.id).toBeNull();
      const stored = await send(t.url, 'POST', '/data', { cookie, body: { x: 1 } });
      const fresh = idOf(cookiePair(stored));
      expect(fresh).toBeDefined();
      expect(fresh).not.toBe(unknown);
      expect(await hasRecord(t, unknown)).toBe(false);
    });

    it('with duplicated names, the first one counts (the real one first still works)', async () => {
      const cookie = `${valid}; __Host-axess.sid=${mintSessionId()}.${randomBytes(32).toString('base64url')}`;
      expect((await send(t.url, 'GET', '/data', { cookie })).body).toMatchObject({ id: validId, data: { owner: 'real' } });
    });

    it.each([
      ';;;',
      '=',
      '__Host-axess.sid',
      '__Host-axess.sid=',
      '__Host-axess.sid=%%%',
      '__Host-axess.sid=%E0%A4%A',
      '__Host-axess.sid="quoted"',
      '\u00ff\u00fe=\u00fd',
      `junk${'='.repeat(200)}`,
    ])('garbage header %p: no session, no error', async (cookie) => {
      const seen = await send(t.url, 'GET', '/visit', { cookie });
      expect(seen.status).toBe(200);
      expect(seen.body.id).toBeNull();
    });

    it('skips malformed pairs around a valid cookie', async () => {
      const cookie = `=broken; ;a; b=%zz; ${valid}; c==; d`;
      expect((await send(t.url, 'GET', '/data', { cookie })).body.id).toBe(validId);
    });

    it('reads a valid cookie inside a large header (12 KiB of other cookies)', async () => {
      const filler = Array.from({ length: 300 }, (_, i) => `f${i}=${'x'.repeat(32)}`).join('; ');
      expect((await send(t.url, 'GET', '/data', { cookie: `${filler}; ${valid}` })).body.id).toBe(validId);
    });

    it('an oversized Cookie header is refused by the server, which keeps serving', async () => {
      const huge = `${valid}; big=${'x'.repeat(64 * 1024)}`;
      const refused = await send(t.url, 'GET', '/visit', { cookie: huge }).catch(() => ({ status: 431 }) as Answer);
      expect([400, 431]).toContain(refused.status);
      expect((await send(t.url, 'GET', '/data', { cookie: valid })).body.id).toBe(validId);
    });
  });

  describe('login', () => {
    it('rotates the id: the old cookie has no session, the new one is bound to the user', async () => {
      const anonymous = cookiePair(await send(t.url, 'POST', '/data', { body: { cart: ['pen'] } }))!;
      const name = user('alice');
      const { answer, cookie, id } = await login(t, name, anonymous);
      expect(id).not.toBe(idOf(anonymous));
      expect(answer.body).toEqual({ userId: name, sessionId: id });
      expect(await hasRecord(t, idOf(anonymous))).toBe(false);
      expect((await send(t.url, 'GET', '/visit', { cookie: anonymous })).body).toEqual({ id: null, userId: null, data: {} });
      const me = await send(t.url, 'GET', '/me', { cookie });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ userId: name, sessionId: id, authenticatedAt: clock.nowMs() });
      // Data gathered before the login comes along.
      expect((await send(t.url, 'GET', '/data', { cookie })).body.data).toEqual({ cart: ['pen'] });
    });

    it('signing in again as the same user rotates the id (re-sign-in: see re-sign-in.e2e.spec.ts)', async () => {
      const name = user('same');
      const first = await login(t, name);
      const again = await login(t, name, first.cookie);
      expect(again.id).not.toBe(first.id);
      expect(again.answer.setCookies).toHaveLength(1);
      expect(await hasRecord(t, first.id)).toBe(false);
    });

    it("switching users on one session carries none of the previous user's data", async () => {
      const alice = await login(t, user('a'));
      await send(t.url, 'POST', '/data', { cookie: alice.cookie, body: { secret: 'alice only' } });
      const bob = await login(t, user('b'), alice.cookie);
      expect(bob.id).not.toBe(alice.id);
      expect((await send(t.url, 'GET', '/data', { cookie: bob.cookie })).body.data).toEqual({});
      expect(await hasRecord(t, alice.id)).toBe(false);
    });

    it('stores what the login handler sets, with one cookie for the new id', async () => {
      const name = user('store');
      const { answer, cookie } = await login(t, name, undefined, '/login-and-store');
      expect(answer.setCookies).toHaveLength(1);
      expect((await send(t.url, 'GET', '/data', { cookie })).body.data).toEqual({ greeting: `hello ${name}` });
    });

    it('the guard without req.user does nothing (it is not an auth guard)', async () => {
      const before = await countRecords(t);
      const answer = await send(t.url, 'POST', '/guard-only');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ userId: null, sessionId: null });
      expect(answer.setCookies).toEqual([]);
      expect(await countRecords(t)).toBe(before);
      // And an existing session stays as it was.
      const cookie = cookiePair(await send(t.url, 'POST', '/data', { body: { a: 1 } }))!;
      const kept = await send(t.url, 'POST', '/guard-only', { cookie });
      expect(kept.body).toEqual({ userId: null, sessionId: idOf(cookie) });
      expect(kept.setCookies).toEqual([]);
    });

    it('a guard after the login that refuses still lets the new cookie out (the session exists)', async () => {
      const name = user('refused');
      const answer = await send(t.url, 'POST', '/login-then-refused', { headers: { 'x-user': name } });
      expect(answer.status).toBe(403);
      expect(answer.setCookies).toHaveLength(1);
      expect((await send(t.url, 'GET', '/me', { cookie: cookiePair(answer) })).body.userId).toBe(name);
    });

    it('a guard subclass can read the user id its own way', async () => {
      const name = user('sub');
      const answer = await send(t.url, 'POST', '/login-upper', { headers: { 'x-user': name } });
      expect(answer.body.userId).toBe(name.toUpperCase());
    });

    it('a user object without an id is refused loudly instead of escaping the cap', async () => {
      const answer = await send(t.url, 'POST', '/login-idless');
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ statusCode: 401, message: 'Unauthorized', reason: 'no-user-id' });
      expect(answer.setCookies).toEqual([]);
    });

    it('the service logs in directly (no guard) with the same rotation', async () => {
      const name = user('svc');
      const answer = await send(t.url, 'POST', '/service-login', { body: { user: name } });
      expect(answer.status).toBe(200);
      const cookie = cookiePair(answer)!;
      expect(answer.body).toEqual({ sessionId: idOf(cookie), evicted: [] });
      expect((await send(t.url, 'GET', '/me', { cookie })).body.userId).toBe(name);
    });
  });

  describe('max sessions per user', () => {
    it('a fourth login with cap 3 evicts the first: its next request is unauthenticated and its record is gone (I2)', async () => {
      const name = user('cap');
      const sessions = [];
      for (let i = 0; i < 4; i++) sessions.push(await login(t, name));
      expect((await send(t.url, 'GET', '/me', { cookie: sessions[0].cookie })).status).toBe(401);
      expect(await hasRecord(t, sessions[0].id)).toBe(false);
      for (const s of sessions.slice(1)) expect((await send(t.url, 'GET', '/me', { cookie: s.cookie })).status).toBe(200);
      const listed = await send(t.url, 'GET', '/sessions', { cookie: sessions[3].cookie });
      const handleOf = (id: string) => t.app.get(AxessSessionService).sessionHandle(id);
      expect((listed.body as { handle: string }[]).map((s) => s.handle)).toEqual(sessions.slice(1).map((s) => handleOf(s.id)));
    });

    it('20 concurrent logins of one user leave exactly the cap usable, and they are the registered ones (I1)', async () => {
      const name = user('burst');
      const logins = await Promise.all(Array.from({ length: 20 }, () => login(t, name)));
      const usable = [];
      for (const s of logins) if ((await send(t.url, 'GET', '/me', { cookie: s.cookie })).status === 200) usable.push(s.id);
      expect(usable).toHaveLength(CAP);
      expect((await liveSessions(t.app, name)).sort()).toEqual(usable.sort());
    });

    it('@MaxSessions(1) on the route overrides the module cap', async () => {
      const name = user('one');
      const first = await login(t, name, undefined, '/login-one');
      const second = await login(t, name, undefined, '/login-one');
      expect((await send(t.url, 'GET', '/me', { cookie: first.cookie })).status).toBe(401);
      expect((await send(t.url, 'GET', '/me', { cookie: second.cookie })).status).toBe(200);
    });

    it('the service reports the evicted ids', async () => {
      const name = user('svc-cap');
      const first = await send(t.url, 'POST', '/service-login', { body: { user: name, max: 1 } });
      const second = await send(t.url, 'POST', '/service-login', { body: { user: name, max: 1 } });
      expect(second.body.evicted).toEqual([first.body.sessionId]);
    });
  });

  describe('logout, destroy, regenerate', () => {
    it('logout deletes the record and registry entry and clears the cookie', async () => {
      const name = user('out');
      const keep = await login(t, name);
      const { cookie, id } = await login(t, name);
      const out = await send(t.url, 'POST', '/logout', { cookie });
      expect(out.status).toBe(200);
      expect(parseSetCookie(out.setCookies[0])).toMatchObject({ name: '__Host-axess.sid', value: '', maxAge: 0 });
      expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(401);
      expect(await hasRecord(t, id)).toBe(false);
      expect(await liveSessions(t.app, name)).toEqual([keep.id]);
    });

    it('destroy() does the same at commit', async () => {
      const name = user('destroy');
      const { cookie, id } = await login(t, name);
      const out = await send(t.url, 'POST', '/destroy', { cookie });
      expect(parseSetCookie(out.setCookies[0])).toMatchObject({ value: '', maxAge: 0 });
      expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(401);
      expect(await hasRecord(t, id)).toBe(false);
      expect(await t.app.get(SessionRegistry).members(name)).toEqual([]);
    });

    it('regenerate() moves the session (data and user) to a new id; the old id stops working', async () => {
      const name = user('regen');
      const { cookie, id } = await login(t, name);
      await send(t.url, 'POST', '/data', { cookie, body: { kept: true } });
      const moved = await send(t.url, 'POST', '/regenerate', { cookie });
      const next = cookiePair(moved)!;
      expect(idOf(next)).not.toBe(id);
      expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(401);
      expect((await send(t.url, 'GET', '/me', { cookie: next })).body.userId).toBe(name);
      expect((await send(t.url, 'GET', '/data', { cookie: next })).body.data).toEqual({ kept: true });
      expect(await liveSessions(t.app, name)).toEqual([idOf(next)]);
    });
  });

  describe('a session revoked while a request holds it (I3)', () => {
    it('a change is not written back: the session stays gone', async () => {
      const { cookie, id } = await login(t, user('i3'));
      const answer = await send(t.url, 'POST', '/revoked-then-set', { cookie });
      expect(answer.status).toBe(200);
      expect(answer.setCookies).toEqual([]);
      expect(await hasRecord(t, id)).toBe(false);
      expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(401);
    });

    it('regenerate() does not bring it back under a new id', async () => {
      const name = user('i3-regen');
      const { cookie } = await login(t, name);
      const answer = await send(t.url, 'POST', '/revoked-then-regenerate', { cookie });
      expect(answer.status).toBe(200);
      expect(answer.setCookies).toEqual([]);
      expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(401);
      expect(await t.app.get(SessionRegistry).members(name)).toEqual([]);
      expect(await countUserRecords(t, name)).toBe(0);
    });
  });

  describe('session management', () => {
    it("lists the caller's sessions oldest first, with the current one marked and client info", async () => {
      const name = user('list');
      const a = await login(t, name);
      clock.advance(1_000);
      const b = await login(t, name);
      const listed = await send(t.url, 'GET', '/sessions', { cookie: b.cookie });
      expect(listed.status).toBe(200);
      const handleOf = (id: string) => t.app.get(AxessSessionService).sessionHandle(id);
      expect((listed.body as { handle: string; current: boolean }[]).map((s) => [s.handle, s.current])).toEqual([
        [handleOf(a.id), false],
        [handleOf(b.id), true],
      ]);
      const [first] = listed.body;
      expect(first.userAgent).toEqual(expect.any(String));
      expect(first.ip).toMatch(/127\.0\.0\.1/);
      const now = clock.nowMs();
      const lastSeen = Date.parse(first.lastSeenAt);
      expect(lastSeen).toBeGreaterThanOrEqual(Date.parse(first.createdAt));
      expect(lastSeen).toBeLessThanOrEqual(now);
    });

    it("revokes one of the caller's sessions (its next request fails) and answers 404 for another user's", async () => {
      const name = user('rev');
      const a = await login(t, name);
      const b = await login(t, name);
      const stranger = await login(t, user('stranger'));
      expect((await send(t.url, 'DELETE', `/sessions/${stranger.id}`, { cookie: b.cookie })).status).toBe(404);
      expect((await send(t.url, 'GET', '/me', { cookie: stranger.cookie })).status).toBe(200);
      expect((await send(t.url, 'DELETE', '/sessions/not-an-id', { cookie: b.cookie })).status).toBe(404);
      expect((await send(t.url, 'DELETE', `/sessions/${a.id}`, { cookie: b.cookie })).status).toBe(200);
      expect((await send(t.url, 'GET', '/me', { cookie: a.cookie })).status).toBe(401);
      expect((await send(t.url, 'GET', '/me', { cookie: b.cookie })).status).toBe(200);
    });

    it('revokes all other sessions of the caller', async () => {
      const name = user('others');
      const a = await login(t, name);
      const b = await login(t, name);
      const c = await login(t, name);
      const revoked = await send(t.url, 'POST', '/sessions/revoke-others', { cookie: c.cookie });
      expect((revoked.body as string[]).sort()).toEqual([a.id, b.id].sort());
      for (const s of [a, b]) expect((await send(t.url, 'GET', '/me', { cookie: s.cookie })).status).toBe(401);
      expect((await send(t.url, 'GET', '/me', { cookie: c.cookie })).status).toBe(200);
    });
  });

  if (backend === 'valkey') {
    describe('round trips', () => {
      let log: CommandLog;
      beforeAll(() => {
        // The local cache's heartbeat (CLIENT TRACKINGINFO) shares the connection; it is not the request's.
        // Nor is the PUBLISH that tells the other instances about a login or an eviction: sent after
        // the request's own commands, never awaited by it.
        log = new CommandLog(t.client!, ['client', 'publish']);
      });
      afterAll(() => log.restore());

      it('a request with an unchanged session sends exactly one command (GETEX) and writes nothing; none with the local cache', async () => {
        const cookie = cookiePair(await send(t.url, 'POST', '/data', { body: { a: 1 } }));
        log.reset();
        const seen = await send(t.url, 'GET', '/data', { cookie });
        expect(seen.body.data).toEqual({ a: 1 });
        // The instance that wrote the session keeps what it wrote.
        expect(log.commands).toEqual(localCache ? [] : ['getex']);
        expect(log.roundTrips).toBe(localCache ? 0 : 1);
      });

      it('a request that changes the session adds one conditional write', async () => {
        const cookie = cookiePair(await send(t.url, 'POST', '/data', { body: { a: 1 } }));
        log.reset();
        await send(t.url, 'POST', '/data', { cookie, body: { b: 2 } });
        expect(log.commands).toEqual(localCache ? ['set'] : ['getex', 'set']);
        expect(log.roundTrips).toBe(localCache ? 1 : 2);
      });

      it('a visitor without a cookie costs no command at all', async () => {
        log.reset();
        await send(t.url, 'GET', '/visit');
        expect(log.commands).toEqual([]);
      });

      it("a login that evicts takes at most 2 round trips, including the request's load: the record's write and the admission travel together", async () => {
        const name = user('rt');
        for (let i = 0; i < CAP; i++) await login(t, name);
        const anonymous = cookiePair(await send(t.url, 'POST', '/data', { body: { a: 1 } }));
        log.reset();
        const { answer } = await login(t, name, anonymous);
        expect(answer.status).toBe(200);
        if (!localCache) expect(log.commands).toContain('getex');
        // The admission script deletes the old id and the evicted one and writes the marker itself.
        expect(log.commands.filter((c) => c !== 'getex')).toEqual(['set', 'evalsha']);
        expect(log.roundTrips).toBeLessThanOrEqual(2);
      });
    });
  }
});

/** How many stored records are bound to `name` (reads every record of this app's prefix). */
async function countUserRecords(t: TestApp, name: string): Promise<number> {
  const store = t.app.get(SessionStore);
  // The in-memory store's own map, under the wrapper that records its calls (telemetry).
  const backend = store instanceof InstrumentedSessionStore ? store.inner : store;
  const ids = t.client
    ? (await t.client.keys(`${t.prefix}:sess:*`)).map((key) => key.slice(`${t.prefix}:sess:`.length))
    : [...(backend as unknown as { entries: Map<string, unknown> }).entries.keys()];
  const records = await Promise.all(ids.map((id) => store.load(id)));
  return records.filter((r) => r?.userId === name).length;
}

async function countRecords(t: TestApp): Promise<number> {
  if (t.client) return (await t.client.keys(`${t.prefix}:*`)).length;
  return (t.app.get<SessionStore, InstrumentedSessionStore>(SessionStore).inner as InMemorySessionStore).size;
}
