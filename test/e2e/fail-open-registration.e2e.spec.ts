import { randomBytes } from 'node:crypto';
import { AxessSessionService, KeyLayout, SessionRegistry, SessionStore } from '../../src/internal';
import { cookiePair, send, startTestApp, type AdapterName, type TestApp } from '../harness/http-app';

const ADAPTERS: AdapterName[] = ['express', 'fastify'];
const idOf = (pair: string) => pair.split('=')[1].split('.')[0];

// A sign-in let through by failOpen while the registry failed is registered on its first request
// once the registry answers again: from then on the cap, listSessions and revokeAll see it.
describe.each(ADAPTERS)('failOpen: a sign-in the registry missed is registered later, on %s with real Valkey', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(adapter, 'valkey', { maxSessionsPerUser: 2, failOpen: true });
  });
  afterAll(() => t.close());

  const login = async (name: string) => {
    const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': name } });
    expect(answer.status).toBe(200);
    const cookie = cookiePair(answer)!;
    return { cookie, id: idOf(cookie) };
  };

  it('the next request after the registry recovers admits it under the cap; listSessions and revokeAll then see it', async () => {
    const name = `open-${randomBytes(4).toString('hex')}`;
    const key = new KeyLayout(t.options.prefix).registry(name);
    const first = await login(name);

    // The registry fails (every command on the user's key gets a WRONGTYPE reply); its members are kept aside.
    await t.client!.rename(key, `${key}:aside`);
    await t.client!.set(key, 'not a sorted set');
    const late = await login(name);
    expect((await t.app.get(SessionStore).load(late.id))?.pendingAdmission).toBe(2);
    // Still failing: the session works, and stays flagged.
    expect((await send(t.url, 'GET', '/me', { cookie: late.cookie })).body.userId).toBe(name);
    expect((await t.app.get(SessionStore).load(late.id))?.pendingAdmission).toBe(2);

    // The registry is back.
    await t.client!.del(key);
    await t.client!.rename(`${key}:aside`, key);
    expect((await t.app.get(SessionRegistry).members(name)).map((m) => m.sessionId)).toEqual([first.id]);
    expect((await send(t.url, 'GET', '/me', { cookie: late.cookie })).status).toBe(200);
    expect((await t.app.get(SessionRegistry).members(name)).map((m) => m.sessionId)).toEqual([first.id, late.id]);
    expect((await t.app.get(SessionStore).load(late.id))?.pendingAdmission).toBeUndefined();

    const listed = await send(t.url, 'GET', '/sessions', { cookie: late.cookie });
    const handleOf = (id: string) => t.app.get(AxessSessionService).sessionHandle(id);
    expect((listed.body as unknown as Array<{ handle: string }>).map((s) => s.handle)).toEqual([handleOf(first.id), handleOf(late.id)]);
    const revoked = await send(t.url, 'POST', '/logout-all', { cookie: first.cookie });
    expect(new Set((revoked.body as { revoked: string[] }).revoked)).toEqual(new Set([first.id, late.id]));
    const after = await send(t.url, 'GET', '/me', { cookie: late.cookie });
    expect(after.status).toBe(401);
    expect(after.body.reason).toBe('revoked');
  });

  it('a late admission over the cap evicts the oldest session, as a sign-in does', async () => {
    const name = `evict-${randomBytes(4).toString('hex')}`;
    const key = new KeyLayout(t.options.prefix).registry(name);
    const [a, b] = [await login(name), await login(name)];
    await t.client!.rename(key, `${key}:aside`);
    await t.client!.set(key, 'not a sorted set');
    const late = await login(name);
    await t.client!.del(key);
    await t.client!.rename(`${key}:aside`, key);

    expect((await send(t.url, 'GET', '/me', { cookie: late.cookie })).status).toBe(200);
    expect((await t.app.get(SessionRegistry).members(name)).map((m) => m.sessionId)).toEqual([b.id, late.id]);
    const evicted = await send(t.url, 'GET', '/me', { cookie: a.cookie });
    expect(evicted.status).toBe(401);
    expect(evicted.body.reason).toBe('evicted:newer-sign-in');
  });
});
