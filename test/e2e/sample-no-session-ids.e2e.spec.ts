import { startSample, type RunningSample } from '../harness/sample-server';
import { sendHttpRequest, type HttpAnswer, type HttpRequestOptions } from '../harness/http-request';
import { csrfTokenIn, PageClient, type PageAnswer } from '../harness/page-client';
import { sessionIdOfCookie } from '../harness/sample-handle';
import { openSessionSocket, upgrade, type TestSocket } from '../harness/ws-client';

const CAP = 3;
const HANDLE = /^[A-Za-z0-9_-]{22}$/;

/**
 * Everything the sample sends a client, and every session id it issued (read from its Set-Cookie
 * headers, the one place an id may travel). The session id is the bearer secret inside the
 * cookie: no body, other header, page, GraphQL answer or WebSocket message may carry it.
 */
class Transcript {
  readonly ids = new Set<string>();
  readonly outputs: Array<{ what: string; text: string }> = [];

  http(what: string, answer: HttpAnswer): HttpAnswer {
    this.cookies(answer.setCookies);
    const headers = Object.entries(answer.headers).filter(([name]) => name !== 'set-cookie');
    this.outputs.push({
      what,
      text: `${JSON.stringify(headers)}\n${typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)}`,
    });
    return answer;
  }

  page(what: string, answer: PageAnswer): PageAnswer {
    this.cookies(answer.headers.getSetCookie());
    const headers = [...answer.headers.entries()].filter(([name]) => name !== 'set-cookie');
    this.outputs.push({ what, text: `${JSON.stringify(headers)}\n${answer.text}` });
    return answer;
  }

  socket(what: string, socket: TestSocket, closed?: { code: number; reason: string }): void {
    this.outputs.push({ what, text: JSON.stringify({ messages: socket.messages, closed }) });
  }

  private cookies(setCookies: string[]): void {
    for (const header of setCookies) {
      const pair = header.split(';')[0];
      if (pair.startsWith('__Host-axess.sid=') && pair.length > '__Host-axess.sid='.length) this.ids.add(sessionIdOfCookie(pair));
    }
  }
}

describe.each(['express', 'fastify'] as const)('the sample never shows a session id (%s)', (adapter) => {
  let running: RunningSample;
  let base: string;
  const seen = new Transcript();

  beforeAll(async () => {
    running = await startSample(adapter, CAP);
    base = `http://127.0.0.1:${running.port}`;
  });

  afterAll(async () => {
    await running?.close();
  });

  const send = async (what: string, method: string, path: string, options: HttpRequestOptions = {}) =>
    seen.http(what, await sendHttpRequest(base, method, path, { ...options, ...(method === 'GET' ? {} : { body: options.body ?? {} }) }));
  const cookieOf = (answer: HttpAnswer) => answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='))!.split(';')[0];
  const login = async (username: string) => {
    const answer = await send(`login ${username}`, 'POST', '/auth/login', { body: { username, password: `${username}-password` } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ userId: username, handle: expect.stringMatching(HANDLE) });
    return { cookie: cookieOf(answer), handle: (answer.body as { handle: string }).handle };
  };
  const graphql = (what: string, query: string, cookie?: string) => send(what, 'POST', '/graphql', { cookie, body: { query } });

  it('JSON API: two devices, list, revoke one by its handle; the revoked one is refused', async () => {
    const laptop = await login('alice');
    const phone = await login('alice');
    expect(phone.handle).not.toBe(laptop.handle);
    expect((await send('me', 'GET', '/me', { cookie: laptop.cookie })).body).toEqual({ userId: 'alice', handle: laptop.handle });

    const listed = await send('list', 'GET', '/auth/sessions', { cookie: laptop.cookie });
    const devices = listed.body as Array<{ handle: string; current: boolean }>;
    expect(devices.map((d) => [d.handle, d.current])).toEqual(
      expect.arrayContaining([
        [laptop.handle, true],
        [phone.handle, false],
      ]),
    );

    const revoked = await send('revoke', 'DELETE', `/auth/sessions/${phone.handle}`, { cookie: laptop.cookie });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ revoked: phone.handle });
    expect((await send('revoked me', 'GET', '/me', { cookie: phone.cookie })).status).toBe(401);
    const after = (await send('list after', 'GET', '/auth/sessions', { cookie: laptop.cookie })).body as Array<{ handle: string }>;
    expect(after.map((d) => d.handle)).not.toContain(phone.handle);

    // Step-up: a new id, and a new handle for it.
    const confirmed = await send('reauthenticate', 'POST', '/auth/reauthenticate', {
      cookie: laptop.cookie,
      body: { password: 'alice-password' },
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.handle).toMatch(HANDLE);
    expect(confirmed.body.handle).not.toBe(laptop.handle);
  });

  it('JSON API: evictions, sign out the others and everywhere answer counts, not ids', async () => {
    const bob = [];
    for (let i = 0; i < CAP + 2; i++) bob.push(await login('bob'));
    expect((await send('evicted me', 'GET', '/me', { cookie: bob[0].cookie })).status).toBe(401);
    const others = await send('revoke-others', 'POST', '/auth/sessions/revoke-others', { cookie: bob[CAP + 1].cookie });
    expect(others.body).toEqual({ revoked: CAP - 1 });
    const everywhere = await send('logout-all', 'POST', '/auth/logout-all', { cookie: bob[CAP + 1].cookie });
    expect(everywhere.body).toEqual({ revoked: 1 });
  });

  it('pages: the devices page names devices by handle; its revoke form signs the other device out', async () => {
    const signIn = async (userAgent: string) => {
      const c = new PageClient(base, userAgent);
      const token = csrfTokenIn(seen.page('sign-in page', await c.get('/')));
      expect(seen.page('sign in', await c.post('/signin', { _csrf: token, username: 'alice', password: 'alice-password' })).status).toBe(
        303,
      );
      return c;
    };
    const phone = await signIn('phone');
    const laptop = await signIn('laptop');
    const page = seen.page('devices', await laptop.get('/devices'));
    const handles = [...page.text.matchAll(/action="\/devices\/revoke\/([^"]+)"/g)].map((m) => m[1]);
    expect(handles.length).toBeGreaterThanOrEqual(1);
    for (const handle of handles) expect(handle).toMatch(HANDLE);
    const phoneRow = page.text.split('<tr').find((row) => row.includes('data-testid="user-agent">phone<'))!;
    const phoneHandle = /action="\/devices\/revoke\/([^"]+)"/.exec(phoneRow)![1];
    const answer = seen.page('revoke form', await laptop.post(`/devices/revoke/${phoneHandle}`, { _csrf: csrfTokenIn(page) }));
    expect(answer.status).toBe(303);
    expect(seen.page('told why', await phone.get('/devices')).text).toContain('This device was signed out.');
    seen.page('devices after', await laptop.get('/devices'));
    seen.page('script', await laptop.get('/assets/devices.js'));
  });

  it('GraphQL: login, me (its handle), logout', async () => {
    const login = await graphql('graphql login', 'mutation { login(username: "alice", password: "alice-password") { userId } }');
    expect(login.body).toEqual({ data: { login: { userId: 'alice' } } });
    const cookie = cookieOf(login);
    const me = await graphql('graphql me', 'query { me { userId handle } }', cookie);
    expect(me.body.data.me).toEqual({ userId: 'alice', handle: expect.stringMatching(HANDLE) });
    expect((await graphql('graphql logout', 'mutation { logout }', cookie)).body).toEqual({ data: { logout: true } });
  });

  it('WebSocket: hello, whoami, devices-changed and the close of a revoked session', async () => {
    const watched = await login('bob');
    const { socket, hello } = await openSessionSocket(base, watched.cookie);
    expect(hello).toEqual({ type: 'session', userId: 'bob', handle: watched.handle });
    socket.ws.send(JSON.stringify({ event: 'whoami' }));
    await socket.next((m) => m.event === 'session');
    const other = await login('bob');
    await socket.next((m) => m.type === 'devices-changed');
    expect((await send('revoke socket', 'DELETE', `/auth/sessions/${watched.handle}`, { cookie: other.cookie })).status).toBe(200);
    const closed = await socket.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4001, reason: 'revoked' });
    seen.socket('socket', socket, closed);
    const refused = await upgrade(base, { cookie: watched.cookie, origin: base });
    expect(refused).toMatchObject({ opened: false, status: 401 });
    seen.outputs.push({ what: 'refused upgrade', text: JSON.stringify(refused) });
  });

  it('no output carried any of the session ids issued', () => {
    // Not vacuous: every sign-in and rotation above issued an id.
    expect(seen.ids.size).toBeGreaterThanOrEqual(12);
    expect(seen.outputs.length).toBeGreaterThanOrEqual(30);
    const leaks = seen.outputs.flatMap(({ what, text }) => [...seen.ids].filter((id) => text.includes(id)).map(() => what));
    expect(leaks).toEqual([]);
  });
});
