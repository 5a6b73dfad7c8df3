import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AxessSessionEvents,
  AxessSessionModule,
  AxessSessionService,
  mintSessionId,
  SessionEndReason,
  SessionStore,
  type AxessSessionEvent,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { ValkeyEventRelay } from '../../src/valkey/valkey-event.relay';
import { MetricsProbe } from '../harness/telemetry';
import { randomKey, testValkeyUrl, uniquePrefix } from '../harness/valkey';
import { waitFor } from '../harness/wait-for';

const ENDED = 'axess.sessions.ended';
const EVERYONE = SessionEndReason.revokedEveryone;

/** One instance of an app: the session module alone. */
async function instance(options: Partial<AxessSessionModuleOptions>, metrics?: MetricsProbe): Promise<INestApplicationContext> {
  const ref = await Test.createTestingModule({
    imports: [
      AxessSessionModule.forRoot({
        mountMiddleware: false,
        ...(metrics ? { telemetry: { meterProvider: metrics.provider, traces: false } } : {}),
        ...options,
      }),
    ],
  }).compile();
  return ref.init();
}

/** Every event an instance's listeners see. */
function record(app: INestApplicationContext): AxessSessionEvent[] {
  const seen: AxessSessionEvent[] = [];
  app.get(AxessSessionEvents).onAny((event) => void seen.push(event));
  return seen;
}

/** `count` signed-in sessions written straight to the store; their ids. */
async function seed(store: SessionStore, count: number, label: string): Promise<string[]> {
  const ids = Array.from({ length: count }, () => mintSessionId());
  await Promise.all(ids.map((id, i) => store.save(id, { data: { i }, createdAt: Date.now(), userId: `${label}-${i % 7}` }, 600_000)));
  return ids;
}

/** What is left of each id: `'live'`, or the reason its marker gives (`'none'` without one). */
async function fates(store: SessionStore, ids: readonly string[]): Promise<string[]> {
  const live = await store.existing(ids);
  return Promise.all(ids.map(async (id) => (live.has(id) ? 'live' : ((await store.goneReason(id)) ?? 'none'))));
}

describe.each([
  ['valkey', () => ({ connection: { url: testValkeyUrl() } })],
  ['memory', () => ({ store: 'memory' as const })],
])('revokeEveryone on %s', (_backend, backend) => {
  const metrics = new MetricsProbe();
  let app: INestApplicationContext;
  let seen: AxessSessionEvent[];

  beforeEach(async () => {
    app = await instance({ ...backend(), prefix: uniquePrefix('all'), encryptionKey: randomKey(), signingKey: randomKey() }, metrics);
    seen = record(app);
  });

  afterEach(async () => {
    await app?.close();
  });

  afterAll(async () => {
    await metrics.shutdown();
  });

  it('ends every session with a revoked:everyone marker, emits one event, counts them, and returns how many', async () => {
    const store = app.get(SessionStore);
    const ids = await seed(store, 1_200, 'u');
    const before = await metrics.sum(ENDED, { reason: EVERYONE });

    expect(await app.get(AxessSessionService).revokeEveryone()).toBe(1_200);

    expect(new Set(await fates(store, ids))).toEqual(new Set([EVERYONE]));
    expect(seen.filter((e) => e.reason === EVERYONE)).toEqual([{ type: 'revoked', reason: EVERYONE, at: expect.any(Date) }]);
    expect((await metrics.sum(ENDED, { reason: EVERYONE })) - before).toBe(1_200);
  });

  it('a session created after the call returns lives; a second call ends it', async () => {
    const service = app.get(AxessSessionService);
    await service.revokeEveryone();
    const [later] = await seed(app.get(SessionStore), 1, 'later');
    expect(await fates(app.get(SessionStore), [later])).toEqual(['live']);
    expect(await service.revokeEveryone()).toBe(1);
    expect(await fates(app.get(SessionStore), [later])).toEqual([EVERYONE]);
  });

  it('every session that existed when the call started ends; sign-ins completing during the sweep live or end, nothing else', async () => {
    const store = app.get(SessionStore);
    const existing = await seed(store, 1_500, 'old');
    const sweep = app.get(AxessSessionService).revokeEveryone();
    const during = await seed(store, 300, 'new');
    await sweep;
    expect(new Set(await fates(store, existing))).toEqual(new Set([EVERYONE]));
    for (const fate of await fates(store, during)) expect(['live', EVERYONE]).toContain(fate);
  });
});

describe('revokeEveryone across instances (one Valkey)', () => {
  const shared = {
    connection: { url: testValkeyUrl() },
    prefix: uniquePrefix('all2'),
    encryptionKey: randomKey(),
    signingKey: randomKey(),
  };
  let a: INestApplicationContext;
  let b: INestApplicationContext;
  let other: INestApplicationContext;

  beforeAll(async () => {
    a = await instance(shared);
    b = await instance(shared);
    // Another app on the same Valkey under its own prefix: out of reach.
    other = await instance({ ...shared, prefix: uniquePrefix('other') });
    await waitFor(() => a.get(ValkeyEventRelay).subscribed && b.get(ValkeyEventRelay).subscribed, 'both relays subscribed');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await other?.close();
  });

  it('the other instance hears one revoked:everyone event, marked remote; sessions of another prefix live on', async () => {
    const seenByB = record(b);
    const ids = await seed(b.get(SessionStore), 20, 'b');
    const [elsewhere] = await seed(other.get(SessionStore), 1, 'o');

    expect(await a.get(AxessSessionService).revokeEveryone()).toBe(20);

    const arrived = await waitFor(() => seenByB.find((e) => e.reason === EVERYONE), 'the remote event');
    expect(arrived).toEqual({ type: 'revoked', reason: EVERYONE, remote: true, at: expect.any(Date) });
    expect(new Set(await fates(b.get(SessionStore), ids))).toEqual(new Set([EVERYONE]));
    expect(await fates(other.get(SessionStore), [elsewhere])).toEqual(['live']);
  });
});
