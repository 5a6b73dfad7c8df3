import {
  AesGcmSessionCipher,
  InMemorySessionStore,
  mintSessionId,
  ValkeySessionStore,
  type SessionStoreCapability,
} from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { CoreOnlyStore } from '../harness/core-only-store';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';
import { ALL_CAPABILITIES, describeSessionStoreConformance, REAL_TIME_UNIT_MS } from './session-store.conformance';
import { record } from './store-fixture';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describeSessionStoreConformance('InMemorySessionStore', async () => {
  const clock = new ManualClock();
  return {
    store: new InMemorySessionStore({ clock, cipher: new AesGcmSessionCipher(randomKey()) }),
    elapse: async (ms) => clock.advance(ms),
    shortTtlMs: 100,
    close: async () => undefined,
  };
});

describeSessionStoreConformance('ValkeySessionStore (real valkey-server)', async () => {
  const client = testClient();
  return {
    store: new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix() }),
    elapse: sleep,
    shortTtlMs: REAL_TIME_UNIT_MS,
    close: async () => void (await client.quit()),
  };
});

// A store of the app's own with the four core methods only; `existence` is derived from `load`.
describeSessionStoreConformance(
  'a core-only custom store (a Map)',
  async () => {
    const clock = new ManualClock();
    return {
      store: new CoreOnlyStore(() => clock.nowMs()),
      elapse: async (ms) => clock.advance(ms),
      shortTtlMs: 100,
      close: async () => undefined,
    };
  },
  ['existence'],
);

describe('SessionStore capabilities', () => {
  it('the library stores offer every capability themselves; a core-only store none', () => {
    const memory = new InMemorySessionStore();
    const valkey = new ValkeySessionStore(testClient({ lazyConnect: true }), randomKey());
    const core = new CoreOnlyStore();
    for (const capability of ALL_CAPABILITIES) {
      expect([capability, memory.supports(capability), valkey.supports(capability)]).toEqual([capability, true, true]);
      expect([capability, core.supports(capability)]).toEqual([capability, false]);
    }
  });

  it('a store that overrides only some methods of a capability does not offer it', () => {
    class HalfMarkers extends CoreOnlyStore {
      override async markGone(ids: readonly string[]): Promise<void> {
        await this.delete(...ids);
      }
    }
    const half = new HalfMarkers();
    expect((['goneMarkers', 'rotation'] as SessionStoreCapability[]).map((c) => half.supports(c))).toEqual([false, false]);
  });

  describe('defaults derived from the core', () => {
    let store: CoreOnlyStore;
    beforeEach(() => {
      store = new CoreOnlyStore();
    });

    it('rotate moves a live session and answers false once the old record is gone', async () => {
      const [a, b, c] = [mintSessionId(), mintSessionId(), mintSessionId()];
      await store.save(a, record({ v: 1 }), 60_000);
      expect(await store.rotate(a, b, record({ v: 2 }), 60_000)).toBe(true);
      expect(await store.load(a)).toBeNull();
      expect((await store.load(b))?.data).toEqual({ v: 2 });
      expect(await store.rotate(a, c, record(), 60_000)).toBe(false);
      expect(await store.load(c)).toBeNull();
    });

    it('expire rewrites a live record (update mode) and answers false for a missing one', async () => {
      const [live, gone] = [mintSessionId(), mintSessionId()];
      await store.save(live, record({ kept: true }), 1_000);
      expect(await store.expire(live, 60_000)).toBe(true);
      expect((await store.load(live))?.data).toEqual({ kept: true });
      expect(await store.expire(gone, 60_000)).toBe(false);
      expect(await store.load(gone)).toBeNull();
    });

    it('remainingTtl lists the live ids with the time left unknown (Infinity)', async () => {
      const [live, gone] = [mintSessionId(), mintSessionId()];
      await store.save(live, record(), 60_000);
      expect(await store.remainingTtl([live, gone, 'garbage'])).toEqual(new Map([[live, Number.POSITIVE_INFINITY]]));
    });

    it('markGone deletes without keeping a reason; goneReason answers undefined', async () => {
      const [a, other] = [mintSessionId(), mintSessionId()];
      await store.save(a, record(), 60_000);
      await store.save(other, record(), 60_000);
      await store.markGone([a], 'revoked', 60_000);
      expect(await store.load(a)).toBeNull();
      expect(await store.load(other)).not.toBeNull();
      expect(await store.goneReason(a)).toBeUndefined();
    });

    it('listing cannot be derived: sessionIds throws an AxessOptionsError naming the capability', async () => {
      const listing = async () => {
        for await (const _ of store.sessionIds()) return;
      };
      await expect(listing()).rejects.toMatchObject({
        name: 'AxessOptionsError',
        option: 'store.sessions',
        message: expect.stringContaining("'listing'"),
      });
    });
  });
});
