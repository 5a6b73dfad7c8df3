import { parseSetCookie } from 'cookie';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/testing';
import { cookiePair, send, startTestApp, type AdapterName, type Answer, type BackendName, type TestApp } from '../harness/http-app';
import { CommandLog } from '../harness/command-log';
import { whenLocalCacheReady } from '../harness/local-cache';
import { StepUpController } from '../harness/step-up.app';
import { waitFor } from '../harness/wait-for';

/**
 * The secure defaults (NIST SP 800-63B AAL2): the `__Host-` cookie name (per request with
 * `secure: 'auto'`, and only the request's own name read), browser-session cookies, 30 min idle /
 * 12 h absolute, and "remember me" (7 d / 30 d, a persistent cookie) stored with the session.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
const idOf = (pair: string | undefined) => pair?.split('=')[1].split('.')[0];
const valueOf = (pair: string) => pair.slice(pair.indexOf('=') + 1);

/** The Set-Cookie of the session cookie named `name` in `answer`, parsed. */
function setCookie(answer: Answer, name: string) {
  const header = answer.setCookies.find((c) => c.startsWith(`${name}=`));
  return header === undefined ? undefined : parseSetCookie(header);
}

async function signIn(t: TestApp, name: string, options: { rememberMe?: unknown; headers?: Record<string, string>; cookie?: string } = {}) {
  const answer = await send(t.url, 'POST', '/login', {
    cookie: options.cookie,
    headers: { 'x-user': name, ...options.headers },
    ...(options.rememberMe === undefined ? {} : { body: { rememberMe: options.rememberMe } }),
  });
  expect(answer.status).toBe(200);
  return { answer, cookie: cookiePair(answer)! };
}

describe.each<AdapterName>(['express', 'fastify'])('secure defaults on %s', (adapter) => {
  describe('cookie name', () => {
    it('is __Host-axess.sid when the cookie is Secure (the default): Secure, Path=/, no Domain', async () => {
      const t = await startTestApp(adapter, 'valkey');
      try {
        const { answer } = await signIn(t, user('host'));
        expect(setCookie(answer, 'axess.sid')).toBeUndefined();
        expect(setCookie(answer, '__Host-axess.sid')).toMatchObject({ secure: true, path: '/', httpOnly: true });
        expect(setCookie(answer, '__Host-axess.sid')!.domain).toBeUndefined();
      } finally {
        await t.close();
      }
    });

    it('is axess.sid when the cookie is not Secure', async () => {
      const t = await startTestApp(adapter, 'valkey', { cookie: { secure: false } });
      try {
        const { answer, cookie } = await signIn(t, user('plain'));
        expect(setCookie(answer, '__Host-axess.sid')).toBeUndefined();
        expect(setCookie(answer, 'axess.sid')!.secure).toBeFalsy();
        expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(200);
      } finally {
        await t.close();
      }
    });

    it('is __Secure-axess.sid when a domain rules __Host- out (axess.sid when not Secure)', async () => {
      const secure = await startTestApp(adapter, 'valkey', { cookie: { domain: 'example.test' } });
      const plain = await startTestApp(adapter, 'valkey', { cookie: { domain: 'example.test', secure: false } });
      try {
        const answer = (await signIn(secure, user('dom'))).answer;
        expect(setCookie(answer, '__Secure-axess.sid')).toMatchObject({ secure: true, domain: 'example.test' });
        expect(setCookie(answer, '__Host-axess.sid')).toBeUndefined();
        expect(setCookie((await signIn(plain, user('dom'))).answer, 'axess.sid')).toMatchObject({ domain: 'example.test' });
      } finally {
        await Promise.all([secure.close(), plain.close()]);
      }
    });

    describe("with secure: 'auto' behind a trusted proxy", () => {
      let t: TestApp;
      beforeAll(async () => {
        t = await startTestApp(adapter, 'valkey', { cookie: { secure: 'auto' } }, { trustProxy: true });
      });
      afterAll(() => t.close());
      const tls = { 'x-forwarded-proto': 'https' };

      it('follows each request: __Host-axess.sid (Secure) over TLS, axess.sid over plain http', async () => {
        const overTls = await signIn(t, user('tls'), { headers: tls });
        expect(setCookie(overTls.answer, '__Host-axess.sid')).toMatchObject({ secure: true, path: '/' });
        expect(setCookie(overTls.answer, 'axess.sid')).toBeUndefined();
        const overHttp = await signIn(t, user('http'));
        expect(setCookie(overHttp.answer, 'axess.sid')!.secure).toBeFalsy();
        expect(setCookie(overHttp.answer, '__Host-axess.sid')).toBeUndefined();
        expect((await send(t.url, 'GET', '/me', { cookie: overTls.cookie, headers: tls })).status).toBe(200);
        expect((await send(t.url, 'GET', '/me', { cookie: overHttp.cookie })).status).toBe(200);
      });

      it('reads only the name of the request: a plain-name cookie is no session over TLS, a __Host- one none over http', async () => {
        const overHttp = await signIn(t, user('http'));
        const overTls = await signIn(t, user('tls'), { headers: tls });
        expect((await send(t.url, 'GET', '/me', { cookie: overHttp.cookie, headers: tls })).status).toBe(401);
        expect((await send(t.url, 'GET', '/me', { cookie: overTls.cookie })).status).toBe(401);
      });

      it('a tossed axess.sid (a sibling subdomain can set one) neither replaces nor shadows the victim over TLS', async () => {
        const victim = await signIn(t, user('victim'), { headers: tls });
        const attacker = await signIn(t, user('attacker'));
        const tossed = `axess.sid=${valueOf(attacker.cookie)}`;
        const asVictim = await send(t.url, 'GET', '/me', { cookie: `${tossed}; ${victim.cookie}`, headers: tls });
        expect(asVictim.body.sessionId).toBe(idOf(victim.cookie));
        expect((await send(t.url, 'GET', '/me', { cookie: `${victim.cookie}; ${tossed}`, headers: tls })).body.sessionId).toBe(
          idOf(victim.cookie),
        );
        expect((await send(t.url, 'GET', '/me', { cookie: tossed, headers: tls })).status).toBe(401);
      });

      it('a logout over TLS clears __Host-axess.sid', async () => {
        const signedIn = await signIn(t, user('out'), { headers: tls });
        const out = await send(t.url, 'POST', '/logout', { cookie: signedIn.cookie, headers: tls });
        expect(setCookie(out, '__Host-axess.sid')).toMatchObject({ value: '', maxAge: 0 });
      });
    });

    it('a configured name is used as it is, over TLS and plain http alike', async () => {
      const t = await startTestApp(adapter, 'valkey', { cookie: { secure: 'auto', name: 'app.sid' } }, { trustProxy: true });
      try {
        const overTls = await signIn(t, user('named'), { headers: { 'x-forwarded-proto': 'https' } });
        expect(setCookie(overTls.answer, 'app.sid')!.secure).toBe(true);
        expect(setCookie((await signIn(t, user('named'))).answer, 'app.sid')).toBeDefined();
        expect((await send(t.url, 'GET', '/me', { cookie: cookiePair(overTls.answer, 'app.sid') })).status).toBe(200);
      } finally {
        await t.close();
      }
    });

    it('with the default (Secure) name, a tossed axess.sid is ignored: the victim stays signed in, the attacker alone gets nothing', async () => {
      const t = await startTestApp(adapter, 'valkey');
      try {
        const victim = await signIn(t, user('victim'));
        const attacker = await signIn(t, user('attacker'));
        const tossed = `axess.sid=${valueOf(attacker.cookie)}`;
        const seen = await send(t.url, 'GET', '/me', { cookie: `${tossed}; ${victim.cookie}` });
        expect(seen.body.sessionId).toBe(idOf(victim.cookie));
        expect((await send(t.url, 'GET', '/me', { cookie: tossed })).status).toBe(401);
        // A write on the tossed cookie alone starts a fresh session: the attacker's is never adopted.
        const stored = await send(t.url, 'POST', '/data', { cookie: tossed, body: { x: 1 } });
        expect(idOf(cookiePair(stored))).not.toBe(idOf(attacker.cookie));
      } finally {
        await t.close();
      }
    });
  });

  it('with the local cache, a remembered session keeps its 7-day TTL and its cached requests send nothing to Valkey', async () => {
    const t = await startTestApp(adapter, 'valkey', { localCache: true });
    try {
      await whenLocalCacheReady(t.app);
      const remembered = await signIn(t, user('cached'), { rememberMe: true });
      const key = `${t.prefix}:sess:${idOf(remembered.cookie)}`;
      expect((await send(t.url, 'GET', '/me', { cookie: remembered.cookie })).status).toBe(200);
      await waitFor(async () => (await t.client!.pttl(key)) > 7 * DAY - MINUTE, 'the remembered idle TTL');
      const log = new CommandLog(t.client!);
      try {
        for (let i = 0; i < 3; i++) expect((await send(t.url, 'GET', '/me', { cookie: remembered.cookie })).status).toBe(200);
        expect(log.commands).toEqual([]);
      } finally {
        log.restore();
      }
      expect(await t.client!.pttl(key)).toBeGreaterThan(7 * DAY - MINUTE);
    } finally {
      await t.close();
    }
  });

  describe.each<BackendName>(['valkey', 'memory'])('lifetime with the %s backend', (backend) => {
    const clock = new ManualClock(Date.UTC(2033, 0, 1));
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(adapter, backend, { clock }, { controllers: [StepUpController] });
    });
    afterAll(() => t.close());

    const pttl = (key: string) => t.client!.pttl(`${t.prefix}:${key}`);

    it('a sign-in without rememberMe sets a browser-session cookie (no Max-Age, no Expires)', async () => {
      const { answer } = await signIn(t, user('session'));
      const cookie = setCookie(answer, '__Host-axess.sid')!;
      expect(cookie.maxAge).toBeUndefined();
      expect(cookie.expires).toBeUndefined();
      expect(setCookie((await signIn(t, user('session'), { rememberMe: false })).answer, '__Host-axess.sid')!.maxAge).toBeUndefined();
    });

    it('a sign-in with rememberMe sets a persistent cookie until the remembered absolute deadline (30 d)', async () => {
      const { answer } = await signIn(t, user('remember'), { rememberMe: true });
      const cookie = setCookie(answer, '__Host-axess.sid')!;
      expect(cookie.maxAge).toBe((30 * DAY) / 1000);
      expect(cookie.expires!.getTime()).toBe(clock.nowMs() + 30 * DAY);
    });

    it('a truthy value that is not true or a checkbox value does not remember', async () => {
      for (const rememberMe of [1, 'yes', {}, 'false']) {
        expect(setCookie((await signIn(t, user('odd'), { rememberMe })).answer, '__Host-axess.sid')!.maxAge).toBeUndefined();
      }
    });

    if (backend === 'valkey') {
      it('the TTL in Valkey follows the idle timeout: 30 min by default, 7 d for a remembered session, on sign-in and on each request', async () => {
        const plain = await signIn(t, user('ttl'));
        const remembered = await signIn(t, user('ttl'), { rememberMe: true });
        const plainTtl = await pttl(`sess:${idOf(plain.cookie)}`);
        expect(plainTtl).toBeGreaterThan(29 * MINUTE);
        expect(plainTtl).toBeLessThanOrEqual(30 * MINUTE);
        expect(await pttl(`sess:${idOf(remembered.cookie)}`)).toBeGreaterThan(7 * DAY - MINUTE);
        // A request slides each to its own idle timeout (the remembered one is set back after the read).
        expect((await send(t.url, 'GET', '/me', { cookie: remembered.cookie })).status).toBe(200);
        expect((await send(t.url, 'GET', '/me', { cookie: plain.cookie })).status).toBe(200);
        await waitFor(async () => (await pttl(`sess:${idOf(remembered.cookie)}`)) > 7 * DAY - MINUTE, 'the remembered idle TTL');
        expect(await pttl(`sess:${idOf(plain.cookie)}`)).toBeLessThanOrEqual(30 * MINUTE);
      });

      it("the user's registry outlives a remembered session (30 d), not only the default 12 h", async () => {
        const name = user('reg');
        await signIn(t, name, { rememberMe: true });
        expect(await pttl(`reg:${name}`)).toBeGreaterThan(30 * DAY - MINUTE);
      });
    } else {
      it('idle: a remembered session outlives 30 min without requests, a plain one does not; 7 d end the remembered one', async () => {
        const plain = await signIn(t, user('idle'));
        const remembered = await signIn(t, user('idle'), { rememberMe: true });
        clock.advance(30 * MINUTE + 1);
        expect((await send(t.url, 'GET', '/me', { cookie: plain.cookie })).status).toBe(401);
        expect((await send(t.url, 'GET', '/me', { cookie: remembered.cookie })).status).toBe(200);
        clock.advance(7 * DAY + 1);
        expect((await send(t.url, 'GET', '/me', { cookie: remembered.cookie })).status).toBe(401);
      });
    }

    it('absolute: a session active every 20 min ends at 12 h; a remembered one active every 6 d lives until 30 d', async () => {
      const plain = await signIn(t, user('abs'));
      for (let elapsed = 0; elapsed + 20 * MINUTE < 12 * HOUR; elapsed += 20 * MINUTE) {
        clock.advance(20 * MINUTE);
        expect((await send(t.url, 'GET', '/me', { cookie: plain.cookie })).status).toBe(200);
      }
      clock.advance(20 * MINUTE);
      expect((await send(t.url, 'GET', '/me', { cookie: plain.cookie })).status).toBe(401);

      const remembered = await signIn(t, user('abs'), { rememberMe: true });
      for (let day = 6; day < 30; day += 6) {
        clock.advance(6 * DAY);
        expect((await send(t.url, 'GET', '/me', { cookie: remembered.cookie })).status).toBe(200);
      }
      clock.advance(6 * DAY);
      expect((await send(t.url, 'GET', '/me', { cookie: remembered.cookie })).status).toBe(401);
    });

    it('a re-sign-in takes its own choice; authenticate without rememberMe and confirmAuthentication keep the session’s', async () => {
      const name = user('again');
      const remembered = await signIn(t, name, { rememberMe: true });
      // authenticate(req, user) without the option: the session stays remembered (and its cookie persistent).
      const kept = await send(t.url, 'POST', '/service-login', { cookie: remembered.cookie, body: { user: name } });
      expect(setCookie(kept, '__Host-axess.sid')!.maxAge).toBe((30 * DAY) / 1000);
      // confirmAuthentication (step-up) keeps it too.
      const confirmed = await send(t.url, 'POST', '/step-up/confirm', { cookie: cookiePair(kept) });
      expect(confirmed.status).toBe(200);
      expect(setCookie(confirmed, '__Host-axess.sid')!.maxAge).toBe((30 * DAY) / 1000);
      // Through the guard, the new sign-in's request decides: no box ticked, not remembered.
      const unticked = await signIn(t, name, { cookie: cookiePair(confirmed) });
      expect(setCookie(unticked.answer, '__Host-axess.sid')!.maxAge).toBeUndefined();
      clock.advance(30 * MINUTE + 1);
      if (backend === 'memory') expect((await send(t.url, 'GET', '/me', { cookie: unticked.cookie })).status).toBe(401);
      // A new sign-in of another user on a remembered session is not remembered unless it asks.
      const other = await signIn(t, user('other'), { rememberMe: true });
      const switched = await send(t.url, 'POST', '/service-login', { cookie: other.cookie, body: { user: user('switch') } });
      expect(setCookie(switched, '__Host-axess.sid')!.maxAge).toBeUndefined();
    });
  });
});
