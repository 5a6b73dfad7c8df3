import { randomBytes } from 'node:crypto';
import { SessionStore } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { CommandLog } from '../harness/command-log';
import { RequestGate, requestGates } from '../harness/request-gate';
import { cookiePair, send, startTestApp, type AdapterName, type Answer, type BackendName, type TestApp } from '../harness/http-app';
import { liveSessions } from '../harness/live-sessions';

const CAP = 3;
const MATRIX: Array<[AdapterName, BackendName]> = [
  ['express', 'valkey'],
  ['express', 'memory'],
  ['fastify', 'valkey'],
  ['fastify', 'memory'],
];

const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
const idOf = (pair: string | undefined) => pair?.split('=')[1].split('.')[0];

/** Signs `name` in through `MaxSessionsGuard` (`/login`) or `authenticate()` directly (`/service-login`). */
async function signIn(t: TestApp, name: string, cookie?: string, path = '/login'): Promise<{ answer: Answer; cookie: string; id: string }> {
  const answer =
    path === '/login'
      ? await send(t.url, 'POST', path, { cookie, headers: { 'x-user': name } })
      : await send(t.url, 'POST', path, { cookie, body: { user: name } });
  expect(answer.status).toBe(200);
  const pair = cookiePair(answer) ?? cookie;
  return { answer, cookie: pair!, id: idOf(pair)! };
}

async function live(t: TestApp, ...ids: string[]): Promise<Set<string>> {
  return t.app.get(SessionStore).existing(ids);
}

describe.each(MATRIX)('re-sign-in on %s with the %s backend', (adapter, backend) => {
  const clock = new ManualClock(Date.UTC(2032, 0, 1));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(adapter, backend, { clock, maxSessionsPerUser: CAP });
  });
  afterAll(() => t.close());

  describe.each(['/login', '/service-login'])('through %s', (path) => {
    it('issues a new id with a new cookie, deletes the old record and keeps the data', async () => {
      const name = user('again');
      const first = await signIn(t, name, undefined, path);
      await send(t.url, 'POST', '/data', { cookie: first.cookie, body: { cart: ['pen'] } });
      const again = await signIn(t, name, first.cookie, path);
      expect(again.id).not.toBe(first.id);
      expect(again.answer.setCookies.filter((c) => c.startsWith('__Host-axess.sid='))).toHaveLength(1);
      expect(await live(t, first.id, again.id)).toEqual(new Set([again.id]));
      // The old cookie no longer opens anything; the new one holds the user and the data.
      expect((await send(t.url, 'GET', '/me', { cookie: first.cookie })).status).toBe(401);
      const me = await send(t.url, 'GET', '/me', { cookie: again.cookie });
      expect(me.body).toMatchObject({ userId: name, sessionId: again.id, data: { cart: ['pen'] } });
    });

    it('moves authenticatedAt forward to the re-sign-in', async () => {
      const name = user('when');
      const first = await signIn(t, name, undefined, path);
      const signedInAt = clock.nowMs();
      clock.advance(60_000);
      const again = await signIn(t, name, first.cookie, path);
      const me = await send(t.url, 'GET', '/me', { cookie: again.cookie });
      expect(me.body.authenticatedAt).toBe(clock.nowMs());
      expect(me.body.authenticatedAt).toBeGreaterThan(signedInAt);
    });

    it("leaves the user's session count unchanged at the cap, evicting none of the others", async () => {
      const name = user('cap');
      const others = [];
      for (let i = 0; i < CAP - 1; i++) others.push(await signIn(t, name, undefined, path));
      const mine = await signIn(t, name, undefined, path);
      const again = await signIn(t, name, mine.cookie, path);
      const active = await liveSessions(t.app, name);
      expect(active).toHaveLength(CAP);
      expect(new Set(active)).toEqual(new Set([...others.map((o) => o.id), again.id]));
      expect(await live(t, ...others.map((o) => o.id))).toEqual(new Set(others.map((o) => o.id)));
    });
  });

  it('concurrent re-sign-ins of one session leave exactly one live id, the others answered 409', async () => {
    const name = user('race');
    const first = await signIn(t, name);
    // Each request is held once its session is loaded, so all of them start from the same id.
    const gates = Array.from({ length: 4 }, (_, i) => `race-${name}-${i}`);
    for (const gate of gates) requestGates.set(gate, new RequestGate());
    const sent = gates.map((gate) =>
      send(t.url, 'POST', '/held-login', { cookie: first.cookie, headers: { 'x-user': name, 'x-gate': gate } }),
    );
    await Promise.all(gates.map((gate) => requestGates.get(gate)!.arrived));
    for (const gate of gates) requestGates.get(gate)!.release();
    const answers = await Promise.all(sent);
    for (const gate of gates) requestGates.delete(gate);

    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    for (const lost of answers.filter((a) => a.status !== 200)) {
      expect(lost.status).toBe(409);
      expect(lost.body).toMatchObject({ reason: 'session-rotated-concurrently' });
      // The loser neither sets nor clears the cookie: the winner's stands in the browser.
      expect(lost.setCookies.filter((c) => c.startsWith('__Host-axess.sid='))).toEqual([]);
    }
    const winner = idOf(cookiePair(won[0]))!;
    expect(await liveSessions(t.app, name)).toEqual([winner]);
    expect(await live(t, first.id, winner)).toEqual(new Set([winner]));
    expect((await send(t.url, 'GET', '/me', { cookie: cookiePair(won[0]) })).body).toMatchObject({ userId: name, sessionId: winner });
  });

  if (backend === 'valkey') {
    it("takes at most 5 round trips, including the request's load", async () => {
      const name = user('rt');
      for (let i = 0; i < CAP - 1; i++) await signIn(t, name);
      const mine = await signIn(t, name);
      const log = new CommandLog(t.client!, ['client', 'publish']);
      try {
        const again = await signIn(t, name, mine.cookie);
        expect(again.id).not.toBe(mine.id);
        expect(log.commands).toContain('getex');
        expect(log.roundTrips).toBeLessThanOrEqual(5);
      } finally {
        log.restore();
      }
    });
  }
});
