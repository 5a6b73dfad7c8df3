import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AxessSessionEvents,
  AxessSessionModule,
  AxessSessionService,
  mintSessionId,
  SessionEndReason,
  SessionRegistry,
  SessionStore,
  type AxessSessionEvent,
} from '../../src/internal';
import { ValkeyEventRelay } from '../../src/valkey/valkey-event.relay';
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
