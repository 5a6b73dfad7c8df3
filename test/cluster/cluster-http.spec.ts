import { randomBytes } from 'node:crypto';
import { AxessSessionService, SessionStore } from '../../src/internal';
import { cookiePair, send, startTestApp, type AdapterName, type TestApp } from '../harness/http-app';
import { whenLocalCacheReady } from '../harness/local-cache';
import { withSharedCluster } from '../harness/shared-cluster.hooks';
import { liveSessions } from '../harness/live-sessions';

const CAP = 3;
const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
const idOf = (pair: string | undefined) => pair?.split('=')[1].split('.')[0];

const shared = withSharedCluster();

// Each adapter without and with the local cache (tracking on every node of the shared client).
const MATRIX: Array<[AdapterName, 'no cache' | 'local cache']> = [
  ['express', 'no cache'],
  ['express', 'local cache'],
  ['fastify', 'no cache'],
  ['fastify', 'local cache'],
];

describe.each(MATRIX)('HTTP session flow on %s with a Valkey Cluster (%s)', (adapter, cache) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(adapter, 'valkey', {
      client: shared.client,
      maxSessionsPerUser: CAP,
      ...(cache === 'local cache' ? { localCache: true } : {}),
    });
    await whenLocalCacheReady(t.app);
  });
  afterAll(() => t?.close());

  const login = async (name: string, cookie?: string) => {
    const answer = await send(t.url, 'POST', '/login', { cookie, headers: { 'x-user': name } });
    expect(answer.status).toBe(200);
    const pair = cookiePair(answer) ?? cookie;
    return { cookie: pair!, id: idOf(pair)! };
  };
  const status = async (cookie: string) => (await send(t.url, 'GET', '/me', { cookie })).status;

  it('anonymous data, login with id rotation, the data carried over, the old id dead', async () => {
    const anonymous = cookiePair(await send(t.url, 'POST', '/data', { body: { cart: ['pen'] } }))!;
    expect((await send(t.url, 'GET', '/data', { cookie: anonymous })).body.data).toEqual({ cart: ['pen'] });
    const name = user('flow');
    const { cookie, id } = await login(name, anonymous);
    expect(id).not.toBe(idOf(anonymous));
    expect((await send(t.url, 'GET', '/me', { cookie })).body).toMatchObject({ userId: name, sessionId: id });
    expect((await send(t.url, 'GET', '/data', { cookie })).body.data).toEqual({ cart: ['pen'] });
    expect((await send(t.url, 'GET', '/visit', { cookie: anonymous })).body).toEqual({ id: null, userId: null, data: {} });
    expect(await t.app.get(SessionStore).existing([idOf(anonymous)!])).toEqual(new Set());
  });

  it('a fourth login with cap 3 evicts the first (I2), listing shows the rest, logout ends one', async () => {
    const name = user('cap');
    const sessions = [];
    for (let i = 0; i < 4; i++) sessions.push(await login(name));
    expect(await status(sessions[0].cookie)).toBe(401);
    for (const s of sessions.slice(1)) expect(await status(s.cookie)).toBe(200);
    const listed = await send(t.url, 'GET', '/sessions', { cookie: sessions[3].cookie });
    const handleOf = (id: string) => t.app.get(AxessSessionService).sessionHandle(id);
    expect((listed.body as { handle: string }[]).map((s) => s.handle)).toEqual(sessions.slice(1).map((s) => handleOf(s.id)));
    await send(t.url, 'POST', '/logout', { cookie: sessions[1].cookie });
    expect(await status(sessions[1].cookie)).toBe(401);
    expect(await liveSessions(t.app, name)).toEqual(sessions.slice(2).map((s) => s.id));
  });

  it('a session revoked while a request holds it is not brought back by that request (I3)', async () => {
    const { cookie, id } = await login(user('revoked'));
    await send(t.url, 'POST', '/revoked-then-set', { cookie });
    expect(await status(cookie)).toBe(401);
    expect(await t.app.get(SessionStore).existing([id])).toEqual(new Set());
  });

  it('20 concurrent logins of one user leave exactly the cap usable, the registered ones (I1)', async () => {
    const name = user('burst');
    const logins = await Promise.all(Array.from({ length: 20 }, () => login(name)));
    const usable: string[] = [];
    for (const s of logins) if ((await status(s.cookie)) === 200) usable.push(s.id);
    expect(usable).toHaveLength(CAP);
    expect((await liveSessions(t.app, name)).sort()).toEqual(usable.sort());
  });
});
