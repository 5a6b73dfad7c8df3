import { ManualClock } from '../../src/testing';
import { csrfTokenIn, PageClient } from '../harness/page-client';
import { startSample, type RunningSample } from '../harness/sample-server';
import { sampleHandleOf } from '../harness/sample-handle';

const REAUTH_MAX_AGE_MS = 300_000; // the sample's default (REAUTH_MAX_AGE_MS unset)

describe.each(['express', 'fastify'] as const)('sample step-up: recent authentication for signing other devices out (%s)', (adapter) => {
  const clock = new ManualClock(Date.UTC(2032, 0, 1));
  let running: RunningSample;
  let base: string;

  beforeAll(async () => {
    running = await startSample(adapter, 3, { clock });
    base = `http://127.0.0.1:${running.port}`;
  });
  afterAll(async () => {
    await running.close();
  });

  const post = (path: string, cookie: string | undefined, body: unknown = {}, method = 'POST') =>
    fetch(`${base}${path}`, {
      method,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', origin: base, ...(cookie ? { cookie } : {}) },
    });
  const cookieOf = (res: Response) =>
    res.headers
      .getSetCookie()
      .find((c) => c.startsWith('__Host-axess.sid='))
      ?.split(';')[0];
  const signIn = async (username: string) =>
    cookieOf(await post('/auth/login', undefined, { username, password: `${username}-password` }))!;
  const me = async (cookie: string) => fetch(`${base}/me`, { headers: { cookie } });

  it('answers revoke-others 401 reauthentication-required after the window, and revokes once the password is confirmed', async () => {
    const other = await signIn('alice');
    const mine = await signIn('alice');
    clock.advance(REAUTH_MAX_AGE_MS + 1);

    const refused = await post('/auth/sessions/revoke-others', mine);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ statusCode: 401, message: 'Unauthorized', reason: 'reauthentication-required' });
    expect((await me(other)).status).toBe(200);

    const confirmed = await post('/auth/reauthenticate', mine, { password: 'alice-password' });
    expect(confirmed.status).toBe(200);
    const fresh = cookieOf(confirmed)!;
    // A new id: the pre-confirmation cookie no longer opens anything.
    expect(fresh.split('=')[1].split('.')[0]).not.toBe(mine.split('=')[1].split('.')[0]);
    // It names the new session by its handle, a new one too.
    const handle = ((await confirmed.json()) as { handle: string }).handle;
    expect(handle).toBe(await sampleHandleOf(base, fresh));
    expect(handle).not.toContain(fresh.split('=')[1].split('.')[0]);
    expect((await me(mine)).status).toBe(401);

    const revoked = await post('/auth/sessions/revoke-others', fresh);
    expect(revoked.status).toBe(200);
    expect((await me(other)).status).toBe(401);
    expect((await me(fresh)).status).toBe(200);
  });

  it('answers a wrong password 401 and leaves the session as it was', async () => {
    const cookie = await signIn('bob');
    clock.advance(REAUTH_MAX_AGE_MS + 1);
    const wrong = await post('/auth/reauthenticate', cookie, { password: 'not-bobs' });
    expect(wrong.status).toBe(401);
    expect(cookieOf(wrong)).toBeUndefined();
    expect((await post('/auth/logout-all', cookie)).status).toBe(401);
    expect((await me(cookie)).status).toBe(200);
  });

  it('lets revoking another device through only with a recent authentication; signing out this one needs none', async () => {
    const other = await signIn('alice');
    const mine = await signIn('alice');
    const otherHandle = await sampleHandleOf(base, other);
    const ownHandle = await sampleHandleOf(base, mine);
    clock.advance(REAUTH_MAX_AGE_MS + 1);
    const refused = await post(`/auth/sessions/${otherHandle}`, mine, {}, 'DELETE');
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { reason?: string }).reason).toBe('reauthentication-required');
    expect((await me(other)).status).toBe(200);
    const own = await post(`/auth/sessions/${ownHandle}`, mine, {}, 'DELETE');
    expect(own.status).toBe(200);
  });

  it('answers logout-all within the window without asking for the password', async () => {
    const cookie = await signIn('bob');
    clock.advance(REAUTH_MAX_AGE_MS);
    expect((await post('/auth/logout-all', cookie)).status).toBe(200);
    expect((await me(cookie)).status).toBe(401);
  });

  it('pages: "sign out all other devices" with an old authentication leads to the confirm-password page, then works', async () => {
    const other = await signIn('bob');
    const page = new PageClient(base);
    page.cookie = await signIn('bob');
    const before = page.cookie;
    clock.advance(REAUTH_MAX_AGE_MS + 1);

    const devices = await page.get('/devices');
    const asked = await page.post('/devices/revoke-others', { _csrf: csrfTokenIn(devices) });
    expect(asked.status).toBe(303);
    expect(asked.location).toBe('/reauthenticate');
    expect((await me(other)).status).toBe(200);

    const form = await page.get('/reauthenticate');
    expect(form.status).toBe(200);
    const wrong = await page.post('/reauthenticate', { _csrf: csrfTokenIn(form), password: 'not-bobs' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong password.');
    const confirmed = await page.post('/reauthenticate', { _csrf: csrfTokenIn(wrong), password: 'bob-password' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.location).toBe('/devices');
    expect(page.cookie).not.toBe(before);

    const again = await page.get('/devices');
    expect((await page.post('/devices/revoke-others', { _csrf: csrfTokenIn(again) })).status).toBe(303);
    expect((await me(other)).status).toBe(401);
  });
});
