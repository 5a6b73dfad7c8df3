import { Test } from '@nestjs/testing';
import {
  AxessSessionModule,
  AxessSessionService,
  InMemorySessionRegistry,
  SessionRegistry,
  SessionStore,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { CoreOnlyRegistry, CoreOnlyStore } from '../harness/core-only-store';
import { cookiePair, send, startTestApp, type TestApp } from '../harness/http-app';
import { randomKey } from '../harness/valkey';

describe('a backend of the app own (store: { sessions, registry })', () => {
  describe('a core-only store (load, save, delete, cycle) with the in-memory registry', () => {
    let t: TestApp;
    let store: CoreOnlyStore;
    beforeEach(async () => {
      store = new CoreOnlyStore();
      t = await startTestApp('express', 'memory', { store: { sessions: store, registry: 'memory' }, maxSessionsPerUser: 2 });
    });
    afterEach(async () => {
      await t.close();
    });

    it('serves requests: a session is stored in it, read back, signed in under the cap and logged out', async () => {
      const first = await send(t.url, 'POST', '/data', { body: { cart: ['apple'] } });
      expect(first.status).toBe(200);
      const anonymous = cookiePair(first)!;
      const visit = await send(t.url, 'GET', '/visit', { cookie: anonymous });
      expect(visit.body.data).toEqual({ cart: ['apple'] });
      expect(await store.load(visit.body.id)).toMatchObject({ data: { cart: ['apple'] } });

      const login = await send(t.url, 'POST', '/login', { cookie: anonymous, headers: { 'x-user': 'ada' } });
      expect(login.status).toBe(200);
      const signedIn = cookiePair(login)!;
      expect(await store.load(visit.body.id)).toBeNull(); // the id rotated (cycle)
      expect((await send(t.url, 'GET', '/me', { cookie: signedIn })).body).toMatchObject({
        userId: 'ada',
        data: { cart: ['apple'] },
      });

      // Two more sign-ins with a cap of 2: the first session is evicted (markGone derived: no reason kept).
      for (let i = 0; i < 2; i++) expect((await send(t.url, 'POST', '/login', { headers: { 'x-user': 'ada' } })).status).toBe(200);
      expect((await send(t.url, 'GET', '/me', { cookie: signedIn })).status).toBe(401);
      expect(t.app.get(SessionRegistry)).toBeInstanceOf(SessionRegistry);
    });

    it('uses the given store itself, and revokeEveryone throws a typed error naming the listing capability', async () => {
      const provided = t.app.get(SessionStore);
      expect(provided.backend).toBe('custom');
      expect(provided.supports('rotation')).toBe(false);
      await expect(t.app.get(AxessSessionService).revokeEveryone()).rejects.toMatchObject({
        name: 'AxessOptionsError',
        option: 'store.sessions',
        message: expect.stringContaining("'listing' capability"),
      });
    });
  });

  it('takes a registry of its own too: four methods, register and isValid derived', async () => {
    const sessions = new CoreOnlyStore();
    const registry = new CoreOnlyRegistry(new InMemorySessionRegistry({ store: sessions }));
    const t = await startTestApp('express', 'memory', { store: { sessions, registry }, telemetry: { metrics: false, traces: false } });
    try {
      expect(t.app.get(SessionRegistry)).toBe(registry);
      expect(t.app.get(SessionStore)).toBe(sessions);
      // Without a cap, a sign-in registers (derived: an admission without a cap).
      const signIn = async () => cookiePair(await send(t.url, 'POST', '/login', { headers: { 'x-user': 'ada' } }))!;
      const [phone, laptop] = [await signIn(), await signIn()];
      const phoneId = (await send(t.url, 'GET', '/me', { cookie: phone })).body.sessionId;
      expect((await registry.members('ada')).map((m) => m.sessionId)).toContain(phoneId);
      const listed = await send(t.url, 'GET', '/sessions', { cookie: laptop });
      expect(listed.body).toHaveLength(2);
      // revokeSession checks membership (derived isValid), then ends the session.
      expect(await t.app.get(AxessSessionService).revokeSession('ada', phoneId)).toBe(true);
      expect((await send(t.url, 'GET', '/me', { cookie: phone })).status).toBe(401);
      expect((await send(t.url, 'GET', '/me', { cookie: laptop })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('says at boot which capabilities the store derives from its core', async () => {
    class WithMarkers extends CoreOnlyStore {
      override async markGone(ids: readonly string[]): Promise<void> {
        await this.delete(...ids);
      }
      override async goneReason(): Promise<string | undefined> {
        return undefined;
      }
    }
    const logs: string[] = [];
    const module = AxessSessionModule.forRoot({
      store: { sessions: new WithMarkers(), registry: 'memory' },
      encryptionKey: randomKey(),
      signingKey: randomKey(),
    });
    const ref = await Test.createTestingModule({ imports: [module] }).compile();
    const app = await ref
      .createNestApplication({ logger: { log: (m: unknown) => void logs.push(String(m)), error() {}, warn() {} } })
      .init();
    expect(logs).toEqual(
      expect.arrayContaining([
        'store.sessions offers no rotation, expiry, existence of its own: derived from load, save, delete and cycle.',
        "store.sessions has no 'listing' capability (sessionIds): revokeEveryone() will throw.",
      ]),
    );
    await app.close();
  });

  describe('fails at boot naming what a configured feature needs that the store lacks', () => {
    const base = (): AxessSessionModuleOptions => ({
      store: { sessions: new CoreOnlyStore(), registry: 'memory' },
      encryptionKey: randomKey(),
      signingKey: randomKey(),
    });
    it.each<[string, () => AxessSessionModuleOptions, RegExp]>([
      ['localCache', () => ({ ...base(), localCache: true }), /`localCache`: needs the Valkey store: .*client tracking.*'custom'/],
      [
        'durableWrites',
        () => ({ ...base(), durableWrites: { replicas: 1, timeoutMs: 100 } }),
        /`durableWrites`: needs the Valkey store: .*WAIT/,
      ],
      [
        'migrateFrom without a client',
        () => ({ ...base(), migrateFrom: { expressSession: { secrets: ['s'] } } }),
        /`migrateFrom.expressSession.client`: is required with store: 'custom'/,
      ],
      [
        'sessions that are not a SessionStore',
        () => ({ ...base(), store: { sessions: {} as SessionStore, registry: 'memory' } }),
        /`store.sessions`: must be an instance of a class extending SessionStore/,
      ],
      ['the string custom', () => ({ ...base(), store: 'custom' as 'memory' }), /`store`: must be 'valkey', 'memory' or your own backend/],
      [
        'a registry that is not a SessionRegistry',
        () => ({ ...base(), store: { sessions: new CoreOnlyStore(), registry: 'redis' as 'memory' } }),
        /`store.registry`/,
      ],
    ])('%s', async (_label, options, message) => {
      const compiling = Test.createTestingModule({ imports: [AxessSessionModule.forRoot(options())] }).compile();
      await expect(compiling).rejects.toMatchObject({ name: 'AxessOptionsError', message: expect.stringMatching(message) });
    });
  });
});
