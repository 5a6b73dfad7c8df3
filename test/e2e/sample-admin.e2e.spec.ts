import { cookiePair, send } from '../harness/http-app';
import { startSample, type RunningSample } from '../harness/sample-server';

const ROUTE = '/admin/revoke-everyone';

describe.each(['express', 'fastify'] as const)('the sample’s POST /admin/revoke-everyone on %s', (adapter) => {
  const running: RunningSample[] = [];
  const start = async (adminUsers?: string[]) => {
    const sample = await startSample(adapter, 10, adminUsers ? { adminUsers } : {});
    running.push(sample);
    return `http://127.0.0.1:${sample.port}`;
  };
  const signIn = async (base: string, username: string) => {
    const answer = await send(base, 'POST', '/auth/login', { body: { username, password: `${username}-password` } });
    expect(answer.status).toBe(200);
    return cookiePair(answer)!;
  };

  afterAll(async () => {
    for (const sample of running) await sample.close();
  });

  it('without ADMIN_USERS it answers 403 to every signed-in user, 401 without a session, and ends nothing', async () => {
    const base = await start();
    const alice = await signIn(base, 'alice');
    expect((await send(base, 'POST', ROUTE, { body: {} })).status).toBe(401);
    expect((await send(base, 'POST', ROUTE, { cookie: alice, body: {} })).status).toBe(403);
    expect((await send(base, 'GET', '/me', { cookie: alice })).status).toBe(200);
  });

  it('an admin signs everyone out, themselves included; a user not named gets 403', async () => {
    const base = await start(['alice']);
    const bob = await signIn(base, 'bob');
    expect((await send(base, 'POST', ROUTE, { cookie: bob, body: {} })).status).toBe(403);
    const alice = await signIn(base, 'alice');
    const answer = await send(base, 'POST', ROUTE, { cookie: alice, body: {} });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ revoked: 2 });
    for (const cookie of [alice, bob]) {
      const me = await send(base, 'GET', '/me', { cookie });
      expect(me.status).toBe(401);
      expect(me.body).toMatchObject({ reason: 'revoked:everyone' });
    }
  });
});
