import { randomBytes } from 'node:crypto';
import { AxessSessionService, SessionRegistry, SessionStore } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { cookiePair, send, startTestApp, type AdapterName, type TestApp } from '../harness/http-app';
import { STEP_UP_MAX_AGE_MS, StepUpController } from '../harness/step-up.app';
import { liveSessions } from '../harness/live-sessions';
import { RequestGate, requestGates } from '../harness/request-gate';

const CAP = 2;
const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
const idOf = (pair: string | undefined) => pair?.split('=')[1].split('.')[0];

describe.each<AdapterName>(['express', 'fastify'])('step-up (@RequireRecentAuth, confirmAuthentication) on %s with Valkey', (adapter) => {
  const clock = new ManualClock(Date.UTC(2032, 0, 1));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(adapter, 'valkey', { clock, maxSessionsPerUser: CAP }, { controllers: [StepUpController] });
  });
  afterAll(() => t.close());

  async function signIn(name: string): Promise<string> {
    const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': name } });
    expect(answer.status).toBe(200);
    return cookiePair(answer)!;
  }

  it('lets a fresh authentication through, up to the maximum age included', async () => {
    const cookie = await signIn(user('fresh'));
    expect((await send(t.url, 'GET', '/step-up/sensitive', { cookie })).status).toBe(200);
    clock.advance(STEP_UP_MAX_AGE_MS);
    expect((await send(t.url, 'GET', '/step-up/sensitive', { cookie })).status).toBe(200);
  });

  it("refuses an authentication older than the maximum age with reason 'reauthentication-required'", async () => {
    const cookie = await signIn(user('old'));
    clock.advance(STEP_UP_MAX_AGE_MS + 1);
    const answer = await send(t.url, 'GET', '/step-up/sensitive', { cookie });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ statusCode: 401, message: 'Unauthorized', reason: 'reauthentication-required' });
    // The session itself is still signed in: only the sensitive route wants a fresher authentication.
    expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(200);
  });

  it('answers a session that is not signed in with the plain 401', async () => {
    const answer = await send(t.url, 'GET', '/step-up/sensitive');
    expect(answer.status).toBe(401);
    expect(answer.body.reason).toBeUndefined();
  });

  it('confirmAuthentication rotates the id, resets the age and keeps the data', async () => {
    const name = user('confirm');
    const cookie = await signIn(name);
    await send(t.url, 'POST', '/data', { cookie, body: { cart: ['pen'] } });
    clock.advance(STEP_UP_MAX_AGE_MS + 1);
    const confirmed = await send(t.url, 'POST', '/step-up/confirm', { cookie });
    expect(confirmed.status).toBe(200);
    const fresh = cookiePair(confirmed)!;
    expect(idOf(fresh)).not.toBe(idOf(cookie));
    expect(confirmed.body).toEqual({ sessionId: idOf(fresh), evicted: [] });
    expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(401);
    const me = await send(t.url, 'GET', '/me', { cookie: fresh });
    expect(me.body).toMatchObject({ userId: name, authenticatedAt: clock.nowMs(), data: { cart: ['pen'] } });
    expect((await send(t.url, 'GET', '/step-up/sensitive', { cookie: fresh })).status).toBe(200);
  });

  it('confirmAuthentication at the cap evicts none of the user’s other sessions', async () => {
    const name = user('cap');
    const other = idOf(await signIn(name))!;
    const mine = await signIn(name);
    const confirmed = await send(t.url, 'POST', '/step-up/confirm', { cookie: mine });
    const fresh = idOf(cookiePair(confirmed))!;
    expect(new Set(await liveSessions(t.app, name))).toEqual(new Set([other, fresh]));
    expect(await t.app.get(SessionStore).existing([other, idOf(mine)!, fresh])).toEqual(new Set([other, fresh]));
  });

  it('confirmAuthentication of a user over the module cap (signed in with a larger one) evicts none of the others', async () => {
    const name = user('over');
    const ids: string[] = [];
    let mine = '';
    for (let i = 0; i <= CAP; i++) {
      const answer = await send(t.url, 'POST', '/service-login', { body: { user: name, max: CAP + 1 } });
      mine = cookiePair(answer)!;
      ids.push(idOf(mine)!);
    }
    const fresh = idOf(cookiePair(await send(t.url, 'POST', '/step-up/confirm', { cookie: mine })))!;
    const others = ids.slice(0, -1);
    expect(new Set(await liveSessions(t.app, name))).toEqual(new Set([...others, fresh]));
    expect(await t.app.get(SessionStore).existing(others)).toEqual(new Set(others));
  });

  it('confirmAuthentication of a session a concurrent login dropped from the registry without ending it (no marker) is admitted again under the cap', async () => {
    const name = user('raced');
    const mine = await signIn(name);
    const second = idOf(await signIn(name))!;
    // What a login's admission leaves when it found this session's record already rotated away by
    // the confirmation: the member pruned as dead, nothing marking the session ended. Its own
    // admission did not count it.
    await t.app.get(SessionRegistry).unregister(name, idOf(mine)!);
    const third = idOf(await signIn(name))!;
    const confirmed = await send(t.url, 'POST', '/step-up/confirm', { cookie: mine });
    expect(confirmed.status).toBe(200);
    const renewed = idOf(cookiePair(confirmed))!;
    expect(renewed).not.toBe(idOf(mine));
    // Admitted like a sign-in after the third: the oldest goes and the user stays at the cap.
    expect(new Set(await liveSessions(t.app, name))).toEqual(new Set([third, renewed]));
    expect((await send(t.url, 'GET', '/me', { cookie: mine })).status).toBe(401);
    expect(second).not.toBe(renewed);
  });

  /** Sends a confirmation of `cookie`'s session, runs `meanwhile` once its session is loaded, then lets it finish. */
  async function confirmWhile(cookie: string, meanwhile: () => Promise<void>) {
    const gate = `confirm-${randomBytes(4).toString('hex')}`;
    requestGates.set(gate, new RequestGate());
    try {
      const answer = send(t.url, 'POST', '/step-up/held-confirm', { cookie, headers: { 'x-gate': gate } });
      await requestGates.get(gate)!.arrived;
      await meanwhile();
      requestGates.get(gate)!.release();
      return await answer;
    } finally {
      requestGates.delete(gate);
    }
  }

  it('confirmAuthentication of a session evicted by two sign-ins while it was in flight answers 401 with the eviction reason, not 409', async () => {
    const name = user('evicted');
    const mine = await signIn(name);
    const newer: string[] = [];
    const confirmed = await confirmWhile(mine, async () => {
      for (let i = 0; i < CAP; i++) newer.push(idOf(await signIn(name))!);
    });
    expect(confirmed.status).toBe(401);
    expect(confirmed.body).toEqual({ statusCode: 401, message: 'Unauthorized', reason: 'evicted:newer-sign-in' });
    expect(cookiePair(confirmed)).toBeUndefined();
    expect(new Set(await liveSessions(t.app, name))).toEqual(new Set(newer));
  });

  it('confirmAuthentication of a session revoked while it was in flight answers 401 with reason revoked', async () => {
    const name = user('revoked');
    const mine = await signIn(name);
    const confirmed = await confirmWhile(mine, async () => {
      await t.app.get(AxessSessionService).revokeAll(name);
    });
    expect(confirmed.status).toBe(401);
    expect(confirmed.body).toEqual({ statusCode: 401, message: 'Unauthorized', reason: 'revoked' });
    expect(await liveSessions(t.app, name)).toEqual([]);
  });

  it('confirmAuthentication refuses a session that is not signed in with a 401 and sets no cookie', async () => {
    const answer = await send(t.url, 'POST', '/step-up/confirm');
    expect(answer.status).toBe(401);
    expect(cookiePair(answer)).toBeUndefined();
  });
});
