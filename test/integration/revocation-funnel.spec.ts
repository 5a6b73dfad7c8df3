import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AxessSessionEvents,
  AxessSessionModule,
  AxessSessionService,
  KeyLayout,
  mintSessionId,
  SessionEndReason,
  SessionRegistry,
  SessionStore,
  type AxessSessionEvent,
} from '../../src/internal';
import { ValkeyEventRelay } from '../../src/valkey/valkey-event.relay';
import { ManualClock } from '../../src/testing';
import { cookiePair, send, startTestApp, type TestApp } from '../harness/http-app';
import { MetricsProbe } from '../harness/telemetry';
import { randomKey, testValkeyUrl, uniquePrefix } from '../harness/valkey';
import { waitFor } from '../harness/wait-for';

/** Each service revocation: what it is called with, given the user and their three sessions; which of them it ends. */
const WAYS = [
  ['revokeSession', (s: AxessSessionService, user: string, ids: string[]) => s.revokeSession(user, ids[0]), [0]],
  ['revokeByHandle', (s: AxessSessionService, user: string, ids: string[]) => s.revokeByHandle(user, s.sessionHandle(ids[1])), [1]],
  ['revokeOthers', (s: AxessSessionService, user: string, ids: string[]) => s.revokeOthers(user, ids[0]), [1, 2]],
  ['revokeAll', (s: AxessSessionService, user: string) => s.revokeAll(user), [0, 1, 2]],
] as const;

// Every way the service ends a session leaves the marker, emits the event here and on the other
// instance, and counts axess.sessions.ended{reason}.
describe('the revocation funnel, two instances on one Valkey', () => {
  const metrics = new MetricsProbe();
  const shared = { prefix: uniquePrefix('funnel'), encryptionKey: randomKey(), signingKey: randomKey() };
  let a: INestApplicationContext;
  let b: INestApplicationContext;
  const seen: { a: AxessSessionEvent[]; b: AxessSessionEvent[] } = { a: [], b: [] };

  const instance = async (meterProvider?: MetricsProbe['provider']) => {
    const module = AxessSessionModule.forRoot({
      connection: { url: testValkeyUrl() },
      mountMiddleware: false,
      ...shared,
      ...(meterProvider ? { telemetry: { meterProvider, traces: false } } : {}),
    });
    return (await Test.createTestingModule({ imports: [module] }).compile()).init();
  };

  beforeAll(async () => {
    a = await instance(metrics.provider);
    b = await instance();
    a.get(AxessSessionEvents).onAny((e) => void seen.a.push(e));
    b.get(AxessSessionEvents).onAny((e) => void seen.b.push(e));
    await waitFor(() => a.get(ValkeyEventRelay).subscribed && b.get(ValkeyEventRelay).subscribed, 'both relays subscribed');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await metrics.shutdown();
  });

  it.each(WAYS)('%s: marker, local event, remote event and counter for each session it ends', async (_name, revoke, ended) => {
    const user = `u-${mintSessionId().slice(0, 8)}`;
    const ids = [mintSessionId(), mintSessionId(), mintSessionId()];
    const store = a.get(SessionStore);
    for (const id of ids) {
      await store.save(id, { data: {}, createdAt: Date.now(), userId: user }, 600_000);
      await a.get(SessionRegistry).register(user, id);
    }
    const before = await metrics.sum('axess.sessions.ended', { reason: SessionEndReason.revoked });

    await revoke(a.get(AxessSessionService), user, ids);

    const gone = ended.map((i) => ids[i]);
    const kept = ids.filter((id) => !gone.includes(id));
    const expected = (id: string) => ({ type: 'revoked', userId: user, sessionId: id, reason: SessionEndReason.revoked });
    for (const id of gone) {
      expect(await store.goneReason(id)).toBe(SessionEndReason.revoked);
      expect(seen.a.filter((e) => e.sessionId === id)).toEqual([{ ...expected(id), at: expect.any(Date) }]);
      const remote = await waitFor(() => seen.b.find((e) => e.sessionId === id), 'the remote event');
      expect(remote).toEqual({ ...expected(id), at: expect.any(Date), remote: true });
    }
    expect((await store.existing(ids)).size).toBe(kept.length);
    for (const id of kept) expect(seen.a.some((e) => e.sessionId === id)).toBe(false);
    expect((await metrics.sum('axess.sessions.ended', { reason: SessionEndReason.revoked })) - before).toBe(gone.length);
  });
});

/** The sign-in of one user over HTTP on `t`: the cookie to send back and the session id. */
async function httpLogin(t: TestApp, name: string): Promise<{ cookie: string; id: string }> {
  const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': name } });
  expect(answer.status).toBe(200);
  const cookie = cookiePair(answer)!;
  return { cookie, id: cookie.split('=')[1].split('.')[0] };
}

const CAP = 2;
const ABSOLUTE_MS = 60 * 60_000;

/**
 * Each other way a session ends, over HTTP: what ends it on instance `a`, the event type and the
 * reason it must leave. The session is signed in on `a` first.
 */
const HTTP_WAYS: ReadonlyArray<
  [
    name: string,
    end: (a: TestApp, session: { cookie: string; id: string }, user: string, clock: ManualClock) => Promise<unknown>,
    type: AxessSessionEvent['type'],
    reason: string,
  ]
> = [
  ['logout (the service)', (a, s) => send(a.url, 'POST', '/logout', { cookie: s.cookie }), 'logged-out', SessionEndReason.loggedOut],
  ['destroy()', (a, s) => send(a.url, 'POST', '/destroy', { cookie: s.cookie }), 'logged-out', SessionEndReason.loggedOut],
  [
    'idle expiry found at load',
    async (a, s) => {
      // The store lets the record expire, as after the idle timeout; then its cookie comes back.
      await a.client!.pexpire(new KeyLayout(a.options.prefix).session(s.id), 1);
      await new Promise((r) => setTimeout(r, 20));
      return send(a.url, 'GET', '/me', { cookie: s.cookie });
    },
    'expired-on-access',
    SessionEndReason.idleTimeout,
  ],
  [
    'absolute expiry found at load',
    (a, s, _user, clock) => {
      clock.advance(ABSOLUTE_MS);
      return send(a.url, 'GET', '/me', { cookie: s.cookie });
    },
    'expired-on-access',
    SessionEndReason.absoluteTimeout,
  ],
  [
    'eviction at the cap',
    async (a, _s, user) => {
      for (let i = 0; i < CAP; i++) await httpLogin(a, user);
    },
    'evicted',
    SessionEndReason.evicted,
  ],
];

describe('the ending funnel over HTTP, two instances on one Valkey', () => {
  const metrics = new MetricsProbe();
  const shared = { prefix: uniquePrefix('funnel-http'), encryptionKey: randomKey(), signingKey: randomKey() };
  let clock: ManualClock;
  let a: TestApp;
  let b: TestApp;
  const seen: { a: AxessSessionEvent[]; b: AxessSessionEvent[] } = { a: [], b: [] };

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2032, 0, 1));
    const options = { ...shared, clock, maxSessionsPerUser: CAP, absoluteTimeoutMs: ABSOLUTE_MS, idleTimeoutMs: 10 * 60_000 };
    a = await startTestApp('express', 'valkey', { ...options, telemetry: { meterProvider: metrics.provider, traces: false } });
    b = await startTestApp('express', 'valkey', options);
    seen.a = [];
    seen.b = [];
    a.app.get(AxessSessionEvents).onAny((e) => void seen.a.push(e));
    b.app.get(AxessSessionEvents).onAny((e) => void seen.b.push(e));
    await waitFor(() => a.app.get(ValkeyEventRelay).subscribed && b.app.get(ValkeyEventRelay).subscribed, 'both relays subscribed');
  });

  afterEach(async () => {
    await a?.close();
    await b?.close();
  });

  afterAll(async () => {
    await metrics.shutdown();
  });

  it.each(HTTP_WAYS)('%s: marker, local event, remote event and counter, once', async (_name, end, type, reason) => {
    const user = `h-${mintSessionId().slice(0, 8)}`;
    const session = await httpLogin(a, user);
    const before = await metrics.sum('axess.sessions.ended', { reason });

    await end(a, session, user, clock);

    expect(await a.app.get(SessionStore).goneReason(session.id)).toBe(reason);
    expect(await a.app.get(SessionStore).existing([session.id])).toEqual(new Set());
    const local = seen.a.filter((e) => e.sessionId === session.id && e.type !== 'authenticated');
    expect(local).toEqual([expect.objectContaining({ type, sessionId: session.id, reason })]);
    const remote = await waitFor(() => seen.b.find((e) => e.sessionId === session.id && e.type === type), 'the remote event');
    expect(remote).toMatchObject({ type, sessionId: session.id, reason, remote: true });
    expect((await metrics.sum('axess.sessions.ended', { reason })) - before).toBe(1);
    // Its cookie coming back says why, and neither tells nor counts the end again.
    const next = await send(a.url, 'GET', '/me', { cookie: session.cookie });
    expect(next.status).toBe(401);
    expect(next.body.reason).toBe(reason);
    expect(seen.a.filter((e) => e.sessionId === session.id && e.type !== 'authenticated')).toHaveLength(1);
    expect((await metrics.sum('axess.sessions.ended', { reason })) - before).toBe(1);
  });

  it('a record an instance cannot read (sealed with a key it lacks) is not an expiry: not deleted, not told, not counted', async () => {
    // A rotation under way: `other` seals with a new key (the shared one as previous); `a` has only the shared one.
    const other = await startTestApp('express', 'valkey', {
      ...shared,
      encryptionKey: randomKey(),
      previousEncryptionKeys: [shared.encryptionKey],
      maxSessionsPerUser: CAP,
    });
    try {
      const session = await httpLogin(other, `k-${mintSessionId().slice(0, 8)}`);
      const before = await metrics.sum('axess.sessions.ended', { reason: SessionEndReason.idleTimeout });
      const answer = await send(a.url, 'GET', '/me', { cookie: session.cookie });
      expect(answer.status).toBe(401);
      expect(answer.body.reason).toBeUndefined();
      expect(await a.app.get(SessionStore).goneReason(session.id)).toBeUndefined();
      expect((await send(other.url, 'GET', '/me', { cookie: session.cookie })).status).toBe(200);
      // Reported as unreadable (rejected: undecryptable), never as ended.
      expect(seen.a.filter((e) => e.sessionId === session.id && e.type !== 'authenticated').map((e) => e.type)).toEqual(['rejected']);
      expect((await metrics.sum('axess.sessions.ended', { reason: SessionEndReason.idleTimeout })) - before).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('revokeEveryone: markers, one event here and there, counted per session', async () => {
    const sessions = [await httpLogin(a, `e-${mintSessionId().slice(0, 8)}`), await httpLogin(b, `e-${mintSessionId().slice(0, 8)}`)];
    const before = await metrics.sum('axess.sessions.ended', { reason: SessionEndReason.revokedEveryone });

    const count = await a.app.get(AxessSessionService).revokeEveryone();

    expect(count).toBeGreaterThanOrEqual(2);
    for (const s of sessions) expect(await a.app.get(SessionStore).goneReason(s.id)).toBe(SessionEndReason.revokedEveryone);
    const everyone = { type: 'revoked', reason: SessionEndReason.revokedEveryone };
    expect(seen.a.filter((e) => e.reason === SessionEndReason.revokedEveryone)).toEqual([expect.objectContaining(everyone)]);
    await waitFor(() => seen.b.find((e) => e.reason === SessionEndReason.revokedEveryone && e.remote), 'the remote event');
    expect((await metrics.sum('axess.sessions.ended', { reason: SessionEndReason.revokedEveryone })) - before).toBe(count);
  });
});
