import { randomBytes } from 'node:crypto';
import { AxessSessionEvents, SessionCipher, SessionStore, type AxessSessionEvent } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { CommandLog } from '../harness/command-log';
import { cookiePair, send, startTestApp, type AdapterName, type TestApp } from '../harness/http-app';
import { RequestGate, requestGates } from '../harness/request-gate';

const IDLE = 5 * 60_000;
const ABSOLUTE = 2 * 60 * 60_000;
const CAP = 3;
const ADAPTERS: AdapterName[] = ['express', 'fastify'];

const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
const idOf = (pair: string) => pair.split('=')[1].split('.')[0];

async function login(t: TestApp, name: string): Promise<{ cookie: string; id: string }> {
  const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': name } });
  expect(answer.status).toBe(200);
  const cookie = cookiePair(answer)!;
  expect(cookie).toBeDefined();
  return { cookie, id: idOf(cookie) };
}

describe.each(ADAPTERS)('session lifecycle events and end reasons on %s with real Valkey', (adapter) => {
  const clock = new ManualClock(Date.UTC(2032, 0, 1));
  let t: TestApp;
  let events: AxessSessionEvents;
  const seen: AxessSessionEvent[] = [];
  const of = (type: AxessSessionEvent['type'], sessionId?: string) =>
    seen.filter((e) => e.type === type && (sessionId === undefined || e.sessionId === sessionId));

  beforeAll(async () => {
    t = await startTestApp(adapter, 'valkey', { clock, idleTimeoutMs: IDLE, absoluteTimeoutMs: ABSOLUTE, maxSessionsPerUser: CAP });
    events = t.app.get(AxessSessionEvents);
    events.onAny((e) => void seen.push(e));
  });
  afterAll(() => t.close());

  describe('events', () => {
    it('created: the first write of an anonymous session, with its id and the clock instant', async () => {
      const answer = await send(t.url, 'POST', '/data', { body: { cart: [1] } });
      const id = idOf(cookiePair(answer)!);
      expect(of('created', id)).toEqual([{ type: 'created', sessionId: id, reason: 'first-write', at: clock.now() }]);
    });

    it('authenticated: the login, with user id and the rotated session id', async () => {
      const name = user('auth');
      const { id } = await login(t, name);
      expect(of('authenticated', id)).toEqual([{ type: 'authenticated', userId: name, sessionId: id, reason: 'login', at: clock.now() }]);
    });

    it('evicted: each victim of a login over the cap, naming the session that caused it', async () => {
      const name = user('evict');
      const first = await login(t, name);
      for (let i = 1; i < CAP; i++) await login(t, name);
      const newest = await login(t, name);
      expect(of('evicted', first.id)).toEqual([
        { type: 'evicted', userId: name, sessionId: first.id, bySessionId: newest.id, reason: 'evicted:newer-sign-in', at: clock.now() },
      ]);
      expect(seen.filter((e) => e.type === 'evicted' && e.userId === name)).toHaveLength(1);
    });

    it('revoked: a session revoked from another device', async () => {
      const name = user('rev');
      const a = await login(t, name);
      const b = await login(t, name);
      expect((await send(t.url, 'DELETE', `/sessions/${b.id}`, { cookie: a.cookie })).status).toBe(200);
      expect(of('revoked', b.id)).toEqual([{ type: 'revoked', userId: name, sessionId: b.id, reason: 'revoked', at: clock.now() }]);
      expect(of('revoked', a.id)).toEqual([]);
    });

    it('logged-out: the session that logged out; its next request is 401 with reason logged-out', async () => {
      const name = user('out');
      const a = await login(t, name);
      await send(t.url, 'POST', '/logout', { cookie: a.cookie });
      expect(of('logged-out', a.id)).toEqual([
        { type: 'logged-out', userId: name, sessionId: a.id, reason: 'logged-out', at: clock.now() },
      ]);
      const after = await send(t.url, 'GET', '/me', { cookie: a.cookie });
      expect(after.status).toBe(401);
      expect(after.body.reason).toBe('logged-out');
    });

    it('rejected: a cookie whose signature does not verify (no session id is trusted)', async () => {
      const { cookie } = await login(t, user('forge'));
      const [name, value] = cookie.split('=');
      const [id, mac] = value.split('.');
      const tampered = `${name}=${id}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
      const before = of('rejected').length;
      expect((await send(t.url, 'GET', '/me', { cookie: tampered })).status).toBe(401);
      expect(of('rejected').slice(before)).toEqual([{ type: 'rejected', reason: 'bad-signature', at: clock.now() }]);
    });

    it('no rejected event for a request without a session cookie', async () => {
      const before = of('rejected').length;
      await send(t.url, 'GET', '/visit', { cookie: 'other=1' });
      expect(of('rejected').length).toBe(before);
    });

    it('rejected: a stored record that does not decrypt, and one that decrypts but does not decode', async () => {
      const a = await login(t, user('bytes'));
      await t.client!.set(`${t.prefix}:sess:${a.id}`, randomBytes(64));
      expect((await send(t.url, 'GET', '/me', { cookie: a.cookie })).status).toBe(401);
      expect(of('rejected', a.id)).toEqual([{ type: 'rejected', sessionId: a.id, reason: 'undecryptable', at: clock.now() }]);

      const b = await login(t, user('bytes'));
      // 0xc1 is never valid MessagePack: sealed correctly, so only decoding can fail.
      await t.client!.set(`${t.prefix}:sess:${b.id}`, t.app.get(SessionCipher).seal(b.id, Buffer.from([0xc1])));
      expect((await send(t.url, 'GET', '/me', { cookie: b.cookie })).status).toBe(401);
      expect(of('rejected', b.id)).toEqual([{ type: 'rejected', sessionId: b.id, reason: 'undecodable', at: clock.now() }]);
    });

    it('a listener that throws or rejects does not break the request', async () => {
      const offSync = events.on('authenticated', () => {
        throw new Error('listener failure');
      });
      const offAsync = events.onAny(async () => {
        throw new Error('async listener failure');
      });
      try {
        const name = user('throw');
        const a = await login(t, name);
        const me = await send(t.url, 'GET', '/me', { cookie: a.cookie });
        expect(me.status).toBe(200);
        expect(me.body.userId).toBe(name);
        // Other listeners still ran.
        expect(of('authenticated', a.id)).toHaveLength(1);
      } finally {
        offSync();
        offAsync();
      }
    });

    it('on(type) delivers only that type, and the returned function unsubscribes', async () => {
      const got: string[] = [];
      const off = events.on('logged-out', (e) => void got.push(`${e.type}:${e.sessionId}`));
      const a = await login(t, user('sub'));
      await send(t.url, 'POST', '/logout', { cookie: a.cookie });
      off();
      const b = await login(t, user('sub'));
      await send(t.url, 'POST', '/logout', { cookie: b.cookie });
      expect(got).toEqual([`logged-out:${a.id}`]);
    });
  });

  describe('end reasons', () => {
    let log: CommandLog;
    beforeAll(() => {
      log = new CommandLog(t.client!);
    });
    afterAll(() => log.restore());

    it('the evicted device is told why (401 with reason) and a marker {prefix}:gone:{id} lives at most min(10 min, idle)', async () => {
      const name = user('told');
      const first = await login(t, name);
      for (let i = 0; i < CAP; i++) await login(t, name);
      const pttl = await t.client!.pttl(`${t.prefix}:gone:${first.id}`);
      expect(pttl).toBeGreaterThan(IDLE - 60_000);
      expect(pttl).toBeLessThanOrEqual(IDLE);
      expect(await t.client!.get(`${t.prefix}:gone:${first.id}`)).toBe('evicted:newer-sign-in');

      log.reset();
      const answer = await send(t.url, 'GET', '/me', { cookie: first.cookie });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ statusCode: 401, message: 'Unauthorized', reason: 'evicted:newer-sign-in' });
      // The marker is read only because the session was missing, with whether a record (unreadable here) exists: one round trip.
      expect(log.commands).toEqual(['getex', 'get', 'exists']);
    });

    it('the normal path still costs exactly one command', async () => {
      const a = await login(t, user('normal'));
      log.reset();
      const me = await send(t.url, 'GET', '/me', { cookie: a.cookie });
      expect(me.status).toBe(200);
      expect(log.commands).toEqual(['getex']);
      expect(log.roundTrips).toBe(1);
    });

    it('a session whose record expired in the store (no marker) is a 401 expired:idle-timeout, told once', async () => {
      const a = await login(t, user('plain'));
      await t.client!.del(`${t.prefix}:sess:${a.id}`);
      const answer = await send(t.url, 'GET', '/me', { cookie: a.cookie });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ statusCode: 401, message: 'Unauthorized', reason: 'expired:idle-timeout' });
      expect((await send(t.url, 'GET', '/me', { cookie: a.cookie })).body.reason).toBe('expired:idle-timeout');
      expect(of('expired-on-access', a.id)).toEqual([
        { type: 'expired-on-access', sessionId: a.id, reason: 'expired:idle-timeout', at: clock.now() },
      ]);
    });

    it('revoke-others while another device is mid-request: its later save does not bring it back (I3), its next request is 401 revoked', async () => {
      const name = user('mid');
      const a = await login(t, name);
      const b = await login(t, name);
      const gateName = randomBytes(6).toString('hex');
      const gate = new RequestGate();
      requestGates.set(gateName, gate);
      try {
        const slow = send(t.url, 'POST', `/slow-set/${gateName}`, { cookie: b.cookie, body: { afterRevoke: true } });
        await gate.arrived;
        const revoked = await send(t.url, 'POST', '/sessions/revoke-others', { cookie: a.cookie });
        expect(revoked.status).toBe(200);
        expect(revoked.body).toEqual([b.id]);
        gate.release();
        expect((await slow).status).toBe(200);
      } finally {
        requestGates.delete(gateName);
      }
      expect((await t.app.get(SessionStore).existing([b.id])).size).toBe(0);
      const next = await send(t.url, 'GET', '/me', { cookie: b.cookie });
      expect(next.status).toBe(401);
      expect(next.body.reason).toBe('revoked');
      expect(of('revoked', b.id)).toHaveLength(1);
      const still = await send(t.url, 'GET', '/me', { cookie: a.cookie });
      expect(still.status).toBe(200);
      expect(still.body.sessionId).toBe(a.id);
    });

    it('logout-all kills every session of the user, the caller included, each told "revoked"; other users are untouched', async () => {
      const name = user('all');
      const devices = [await login(t, name), await login(t, name), await login(t, name)];
      const bystander = await login(t, user('other'));
      const answer = await send(t.url, 'POST', '/logout-all', { cookie: devices[1].cookie });
      expect(answer.status).toBe(200);
      expect([...answer.body.revoked].sort()).toEqual(devices.map((d) => d.id).sort());
      for (const device of devices) {
        const next = await send(t.url, 'GET', '/me', { cookie: device.cookie });
        expect(next.status).toBe(401);
        expect(next.body.reason).toBe('revoked');
        expect(of('revoked', device.id)).toHaveLength(1);
      }
      expect((await send(t.url, 'GET', '/me', { cookie: bystander.cookie })).status).toBe(200);
    });

    // Last: it moves the shared clock past every session's absolute deadline.
    it('expired-on-access: past the absolute timeout the request is 401 with the reason and an event', async () => {
      const name = user('abs');
      const a = await login(t, name);
      clock.advance(ABSOLUTE + 1);
      const answer = await send(t.url, 'GET', '/me', { cookie: a.cookie });
      expect(answer.status).toBe(401);
      expect(answer.body.reason).toBe('expired:absolute-timeout');
      expect(of('expired-on-access', a.id)).toEqual([
        { type: 'expired-on-access', userId: name, sessionId: a.id, reason: 'expired:absolute-timeout', at: clock.now() },
      ]);
    });
  });
});
