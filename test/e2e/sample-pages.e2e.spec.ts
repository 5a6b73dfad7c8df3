import { mintSessionId } from '../../src/internal';
import { startSample, type RunningSample } from '../harness/sample-server';
import { sampleHandleOf, sessionIdOfCookie } from '../harness/sample-handle';
import { csrfTokenIn, PageClient, type PageAnswer } from '../harness/page-client';

const MAX_SESSIONS = 3;

describe.each(['express', 'fastify'] as const)('sample pages on %s (HTML forms over HTTP)', (adapter) => {
  let running: RunningSample;
  let base: string;

  beforeAll(async () => {
    running = await startSample(adapter, MAX_SESSIONS);
    base = `http://127.0.0.1:${running.port}`;
  });

  afterAll(async () => {
    await running?.close();
  });

  const client = (userAgent?: string) => new PageClient(base, userAgent);
  const me = async (c: PageClient) => (await fetch(`${base}/me`, { headers: c.cookie ? { cookie: c.cookie } : {} })).status;

  /** Opens the sign-in page and signs in through the form; returns the client and the 303. */
  async function signIn(username = 'alice', userAgent?: string): Promise<{ c: PageClient; answer: PageAnswer }> {
    const c = client(userAgent);
    const token = csrfTokenIn(await c.get('/'));
    const answer = await c.post('/signin', { _csrf: token, username, password: `${username}-password` });
    return { c, answer };
  }

  async function devicesToken(c: PageClient): Promise<string> {
    const page = await c.get('/devices');
    expect(page.text).toContain('Your devices');
    return csrfTokenIn(page);
  }

  describe('GET / and GET /devices', () => {
    it('an anonymous visitor gets the sign-in form with a token, as an uncacheable, unframeable HTML page', async () => {
      const c = client();
      const page = await c.get('/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.text).toContain('action="/signin"');
      expect(csrfTokenIn(page)).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
      // The token is stateless: no session is created, only the short-lived sign-in cookie.
      expect(c.cookie).toBeUndefined();
      expect(c.signInCookie).toBeDefined();
      expect(await me(c)).toBe(401);
    });

    it("the sign-in cookie stays the same across the anonymous visitor's page loads, and every form it was shown stays valid", async () => {
      const c = client();
      const first = csrfTokenIn(await c.get('/'));
      const cookie = c.signInCookie;
      const second = csrfTokenIn(await c.get('/devices'));
      expect(c.signInCookie).toBe(cookie);
      const other = client();
      other.signInCookie = cookie;
      expect((await other.post('/signin', { _csrf: second, username: 'bob', password: 'bob-password' })).status).toBe(303);
      expect((await c.post('/signin', { _csrf: first, username: 'alice', password: 'alice-password' })).status).toBe(303);
    });

    it('signed in, / redirects (303) to /devices', async () => {
      const { c } = await signIn();
      const page = await c.get('/');
      expect(page.status).toBe(303);
      expect(page.location).toBe('/devices');
    });
  });

  describe('POST /signin (CSRF guard, then passport-local, then MaxSessionsGuard)', () => {
    it('"Keep me signed in" (the box posts rememberMe=true) makes the session cookie persistent; unticked it is a browser-session cookie', async () => {
      const c = client();
      const page = await c.get('/');
      expect(page.text).toMatch(/<input type="checkbox" id="remember-me" name="rememberMe" value="true"/);
      const answer = await c.post('/signin', {
        _csrf: csrfTokenIn(page),
        username: 'alice',
        password: 'alice-password',
        rememberMe: 'true',
      });
      expect(answer.status).toBe(303);
      expect(Number(/Max-Age=(\d+)/.exec(c.sessionSetCookie!)![1])).toBeGreaterThan(30 * 86_400 - 60);
      expect(await me(c)).toBe(200);
      const { c: unticked } = await signIn('alice');
      expect(unticked.sessionSetCookie).toBeDefined();
      expect(unticked.sessionSetCookie).not.toMatch(/Max-Age|Expires/i);
    });

    it('a form-encoded sign-in: 303 to /devices, the id rotates, and the devices page marks this device', async () => {
      const c = client('agent-rotate');
      const token = csrfTokenIn(await c.get('/'));
      const anonymous = c.cookie;
      const answer = await c.post('/signin', { _csrf: token, username: 'alice', password: 'alice-password' });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe('/devices');
      expect(c.cookie).toBeDefined();
      expect(c.cookie).not.toBe(anonymous);
      const devices = await c.get('/devices');
      expect(devices.status).toBe(200);
      expect(devices.text).toContain('data-testid="user">alice<');
      expect(devices.text).toMatch(/data-current="true"[\s\S]*this device[\s\S]*agent-rotate/);
    });

    it('the token is rotated at sign-in: the one from the sign-in page no longer works afterwards', async () => {
      const c = client();
      const before = csrfTokenIn(await c.get('/'));
      await c.post('/signin', { _csrf: before, username: 'alice', password: 'alice-password' });
      const after = await devicesToken(c);
      expect(after).not.toBe(before);
      const other = (await signIn()).c;
      const refused = await c.post('/devices/revoke-others', { _csrf: before });
      expect(refused.status).toBe(403);
      expect(await me(other)).toBe(200);
    });

    it.each([
      ['no token', (_t: string) => ({ username: 'alice', password: 'alice-password' }), {}],
      ['a wrong token', (_t: string) => ({ _csrf: 'x'.repeat(43), username: 'alice', password: 'alice-password' }), {}],
      ['an empty token', (_t: string) => ({ _csrf: '', username: 'alice', password: 'alice-password' }), {}],
      ['the token twice (an array)', (t: string) => ({ _csrf: [t, t], username: 'alice', password: 'alice-password' }), {}],
      [
        'the right token from a foreign Origin',
        (t: string) => ({ _csrf: t, username: 'alice', password: 'alice-password' }),
        { origin: 'http://evil.example' },
      ],
      [
        'the right token with Origin: null',
        (t: string) => ({ _csrf: t, username: 'alice', password: 'alice-password' }),
        { origin: 'null' },
      ],
      [
        'the right token from a sibling port (same site, other origin)',
        (t: string) => ({ _csrf: t, username: 'alice', password: 'alice-password' }),
        { origin: 'http://127.0.0.1:1' },
      ],
    ])('%s: 403 page, and no signed-in session', async (_label, form, headers) => {
      const c = client();
      const token = csrfTokenIn(await c.get('/'));
      const answer = await c.post('/signin', form(token), headers);
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('data-testid="form-rejected"');
      expect(await me(c)).toBe(401);
    });

    it('the right token with this host as Origin: signed in', async () => {
      const c = client();
      const token = csrfTokenIn(await c.get('/'));
      const answer = await c.post('/signin', { _csrf: token, username: 'alice', password: 'alice-password' }, { origin: base });
      expect(answer.status).toBe(303);
      expect(await me(c)).toBe(200);
    });

    it("another visitor's token does not work (tokens are bound to the browser's sign-in cookie)", async () => {
      const victim = client();
      csrfTokenIn(await victim.get('/'));
      const attackerToken = csrfTokenIn(await client().get('/'));
      const answer = await victim.post('/signin', { _csrf: attackerToken, username: 'alice', password: 'alice-password' });
      expect(answer.status).toBe(403);
      expect(await me(victim)).toBe(401);
    });

    it('no sign-in cookie at all (cookies off): 403, never 500', async () => {
      const c = client();
      const answer = await c.post('/signin', { _csrf: 'anything', username: 'alice', password: 'alice-password' });
      expect(answer.status).toBe(403);
    });

    it.each([
      ['a garbage body', 'a=%zz&&==&_csrf'],
      ['a nested field', '_csrf[a]=1&username[b]=2'],
      ['an empty body', ''],
    ])('%s: 403, never 500', async (_label, raw) => {
      const c = client();
      await c.get('/');
      expect((await c.post('/signin', raw)).status).toBe(403);
    });

    it('bad credentials: the form again with a 401, the error, and the username kept but escaped', async () => {
      const c = client();
      const token = csrfTokenIn(await c.get('/'));
      const username = '"><script>alert(1)</script>';
      const answer = await c.post('/signin', { _csrf: token, username, password: 'nope' });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
      expect(answer.text).toContain('Invalid username or password.');
      expect(answer.text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
      expect(answer.text).not.toContain('<script>alert(1)');
      // No session was created; the form comes back with a token for the same sign-in cookie.
      expect(c.cookie).toBeUndefined();
      const retry = await c.post('/signin', { _csrf: csrfTokenIn(answer), username: 'alice', password: 'alice-password' });
      expect(retry.status).toBe(303);
    });

    it('missing credentials with a valid token: 401 form, never 500', async () => {
      const c = client();
      const token = csrfTokenIn(await c.get('/'));
      expect((await c.post('/signin', { _csrf: token })).status).toBe(401);
    });
  });

  describe('the devices page', () => {
    it('escapes a hostile user agent and lists ip, sign-in and last-seen times', async () => {
      const hostile = '<img src=x onerror=alert(1)> & "quoted"';
      const { c } = await signIn('bob', hostile);
      const page = await c.get('/devices');
      expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;');
      expect(page.text).not.toContain('<img src=x');
      expect(page.text).toMatch(/data-testid="ip">[^<]*127\.0\.0\.1/);
      expect(page.text).toMatch(/<time datetime="\d{4}-\d\d-\d\dT/);
    });

    it('"sign out" on another device revokes it; that device is then told why', async () => {
      const phone = (await signIn('alice', 'phone')).c;
      const laptop = (await signIn('alice', 'laptop')).c;
      const page = await laptop.get('/devices');
      const phoneHandle = /action="\/devices\/revoke\/([^"]+)"[^]*?<\/form>/.exec(page.text.slice(page.text.indexOf('phone')))?.[1];
      // The page names the device by its handle; neither session id appears in it.
      expect(phoneHandle).toBe(await sampleHandleOf(base, phone.cookie!));
      for (const c of [phone, laptop]) expect(page.text).not.toContain(sessionIdOfCookie(c.cookie!));
      const answer = await laptop.post(`/devices/revoke/${phoneHandle}`, { _csrf: csrfTokenIn(page) });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe('/devices');
      expect(await me(phone)).toBe(401);
      expect(await me(laptop)).toBe(200);
      const told = await phone.get('/devices');
      expect(told.text).toContain('This device was signed out.');
      expect(told.text).toContain('action="/signin"');
    });

    it.each([
      ['an unknown session id', () => mintSessionId()],
      ['a well-formed handle of no session', () => 'A'.repeat(22)],
      ['a hostile value', () => encodeURIComponent('"><script>x</script>')],
    ])('revoking %s: 303 back, nothing revoked', async (_label, id) => {
      const other = (await signIn()).c;
      const { c } = await signIn();
      const answer = await c.post(`/devices/revoke/${id()}`, { _csrf: await devicesToken(c) });
      expect(answer.status).toBe(303);
      expect(await me(other)).toBe(200);
      expect(await me(c)).toBe(200);
    });

    it.each([
      ['handle', (c: PageClient) => sampleHandleOf(base, c.cookie!)],
      ['session id', async (c: PageClient) => sessionIdOfCookie(c.cookie!)],
    ])("bob cannot revoke alice's session through the page by its %s", async (_label, name) => {
      const alice = (await signIn('alice', 'alice-browser')).c;
      const bob = (await signIn('bob')).c;
      const answer = await bob.post(`/devices/revoke/${await name(alice)}`, { _csrf: await devicesToken(bob) });
      expect(answer.status).toBe(303);
      expect(await me(alice)).toBe(200);
    });

    it("another of the user's sessions named by its id instead of its handle: nothing revoked", async () => {
      const phone = (await signIn('alice', 'phone')).c;
      const { c } = await signIn();
      const answer = await c.post(`/devices/revoke/${sessionIdOfCookie(phone.cookie!)}`, { _csrf: await devicesToken(c) });
      expect(answer.status).toBe(303);
      expect(await me(phone)).toBe(200);
    });

    it('"sign out all other devices": the others get the sign-in page with the reason; this one stays', async () => {
      const others = [(await signIn()).c, (await signIn()).c];
      const { c } = await signIn();
      const answer = await c.post('/devices/revoke-others', { _csrf: await devicesToken(c) });
      expect(answer.status).toBe(303);
      expect(await me(c)).toBe(200);
      for (const other of others) {
        expect(await me(other)).toBe(401);
      }
      const told = await others[0].get('/');
      expect(told.text).toContain('This device was signed out.');
    });

    it('a form from a tab whose session was evicted: 303 to /, which says why, and nothing changes', async () => {
      const first = (await signIn()).c;
      const token = await devicesToken(first);
      const later = [];
      for (let i = 0; i < MAX_SESSIONS; i++) later.push((await signIn()).c);
      const answer = await first.post('/devices/revoke-others', { _csrf: token });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe('/');
      for (const c of later) expect(await me(c)).toBe(200);
      const start = await first.get('/');
      expect(start.text).toContain('You were signed out because of a newer sign-in on another device.');
    });

    it('"sign out": this session ends and its cookie is cleared; the others stay', async () => {
      const other = (await signIn()).c;
      const { c } = await signIn();
      const cookie = c.cookie!;
      const answer = await c.post('/signout', { _csrf: await devicesToken(c) });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe('/');
      expect(c.cookie).toBeUndefined();
      expect((await fetch(`${base}/me`, { headers: { cookie } })).status).toBe(401);
      expect(await me(other)).toBe(200);
    });

    it('"sign out everywhere": every session of the user ends, this one\'s cookie is cleared, other users keep theirs', async () => {
      const bob = (await signIn('bob')).c;
      const others = [(await signIn()).c, (await signIn()).c];
      const { c } = await signIn();
      const answer = await c.post('/signout-everywhere', { _csrf: await devicesToken(c) });
      expect(answer.status).toBe(303);
      expect(c.cookie).toBeUndefined();
      for (const other of others) expect(await me(other)).toBe(401);
      expect(await me(bob)).toBe(200);
    });

    it.each(['/devices/revoke-others', '/signout', '/signout-everywhere'])(
      '%s without the token or from a foreign Origin: 403, nothing changes',
      async (path) => {
        const other = (await signIn()).c;
        const { c } = await signIn();
        const token = await devicesToken(c);
        expect((await c.post(path, {})).status).toBe(403);
        expect((await c.post(path, { _csrf: token }, { origin: 'http://evil.example' })).status).toBe(403);
        expect(await me(c)).toBe(200);
        expect(await me(other)).toBe(200);
      },
    );
  });
});
