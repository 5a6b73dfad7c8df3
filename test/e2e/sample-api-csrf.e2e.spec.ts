import { startSample, type RunningSample } from '../harness/sample-server';

const alice = JSON.stringify({ username: 'alice', password: 'alice-password' });

describe.each(['express', 'fastify'] as const)('sample JSON API against cross-site requests (%s)', (adapter) => {
  let running: RunningSample;
  let base: string;

  beforeAll(async () => {
    running = await startSample(adapter, 3);
    base = `http://127.0.0.1:${running.port}`;
  });
  afterAll(async () => {
    await running.close();
  });

  const login = async (headers: Record<string, string> = {}, body = alice) =>
    fetch(`${base}/auth/login`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const cookieOf = (res: Response) =>
    res.headers
      .getSetCookie()
      .find((c) => c.startsWith('__Host-axess.sid='))
      ?.split(';')[0];

  it('signs in with JSON from its own origin', async () => {
    const res = await login({ origin: base });
    expect(res.status).toBe(200);
    expect(cookieOf(res)).toBeDefined();
  });

  it('refuses a sign-in posted as a form (login CSRF from a same-site page) without creating a session', async () => {
    const res = await login({ 'content-type': 'application/x-www-form-urlencoded' }, 'username=alice&password=alice-password');
    expect(res.status).toBe(415);
    expect(cookieOf(res)).toBeUndefined();
  });

  it('refuses a sign-in whose Origin is another host', async () => {
    const res = await login({ origin: 'http://attacker.localhost:8080' });
    expect(res.status).toBe(403);
    expect(cookieOf(res)).toBeUndefined();
  });

  it('refuses a body-less revoke-others from another origin and leaves every session alive', async () => {
    const cookies = [];
    for (let i = 0; i < 2; i++) cookies.push(cookieOf(await login())!);
    const res = await fetch(`${base}/auth/sessions/revoke-others`, {
      method: 'POST',
      headers: { cookie: cookies[1], origin: 'http://localhost:1' },
    });
    expect(res.status).toBe(403);
    for (const cookie of cookies) expect((await fetch(`${base}/me`, { headers: { cookie } })).status).toBe(200);
    const own = await fetch(`${base}/auth/sessions/revoke-others`, {
      method: 'POST',
      body: '{}',
      headers: { cookie: cookies[1], origin: base, 'content-type': 'application/json' },
    });
    expect(own.status).toBe(200);
    expect((await fetch(`${base}/me`, { headers: { cookie: cookies[0] } })).status).toBe(401);
  });
});
