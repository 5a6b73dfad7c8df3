import { mintSessionId, type SessionRecord, type SessionStoreCapability } from '../../src/internal';
import { INCONCLUSIVE, untilConclusive } from '../harness/real-time';
import { CAPABILITY_SUITES } from './store-capabilities.conformance';
import { eachFixture, record, type StoreFixture } from './store-fixture';

export type { StoreFixture } from './store-fixture';

/** The unit for backends that expire on real time: long enough that most tries are conclusive. */
export const REAL_TIME_UNIT_MS = 250;

/** Every optional capability: what the library's own stores offer. */
export const ALL_CAPABILITIES = Object.keys(CAPABILITY_SUITES) as SessionStoreCapability[];

/**
 * The expectations every SessionStore backend must meet (invariant I7): the core suite (load,
 * save, delete, cycle), then one suite per optional capability in `capabilities` (by default all
 * of them: the library's own stores offer each one natively).
 */
export function describeSessionStoreConformance(
  backend: string,
  makeFixture: () => Promise<StoreFixture>,
  capabilities: readonly SessionStoreCapability[] = ALL_CAPABILITIES,
): void {
  describe(`SessionStore conformance: ${backend}`, () => {
    describeCoreConformance(makeFixture);
    for (const capability of capabilities) {
      describe(`capability ${capability}`, () => CAPABILITY_SUITES[capability](eachFixture(makeFixture)));
    }
  });
}

/** The core contract: what a store of the app's own must pass with nothing else. */
function describeCoreConformance(makeFixture: () => Promise<StoreFixture>): void {
  describe('core', () => {
    const fixture = eachFixture(makeFixture);
    let f: StoreFixture;
    beforeEach(() => {
      f = fixture();
    });

    it('loads what it saved', async () => {
      const id = mintSessionId();
      const saved: SessionRecord = {
        ...record({ name: 'Zoë', n: 42, nested: { ok: true } }),
        userId: 'u:1',
        authenticatedAt: 1_900_000_000_500,
        ip: '::1',
        userAgent: 'UA',
      };
      expect(await f.store.save(id, saved, 60_000)).toBe(true);
      expect(await f.store.load(id)).toEqual(saved);
    });

    it('answers null for an id never saved', async () => {
      expect(await f.store.load(mintSessionId())).toBeNull();
    });

    it('answers null for ids that are not of the minted format', async () => {
      for (const bad of ['', 'short', '*', 'a'.repeat(33), 'x'.repeat(31) + ':', '{tag}'.padEnd(32, 'a')]) {
        expect(await f.store.load(bad)).toBeNull();
      }
    });

    it('refuses to write under an id that is not of the minted format', async () => {
      await expect(f.store.save('not-an-id', record(), 1000)).rejects.toMatchObject({ name: 'InvalidIdentifierError' });
    });

    it('deletes idempotently', async () => {
      const id = mintSessionId();
      await f.store.save(id, record(), 60_000);
      await f.store.delete(id);
      await f.store.delete(id);
      await f.store.delete();
      expect(await f.store.load(id)).toBeNull();
    });

    it('deletes several ids at once without touching others', async () => {
      const [a, b, c] = [mintSessionId(), mintSessionId(), mintSessionId()];
      for (const id of [a, b, c]) await f.store.save(id, record(), 60_000);
      await f.store.delete(a, b);
      expect(await Promise.all([a, b, c].map((id) => f.store.load(id)))).toEqual([null, null, record()]);
    });

    it('overwrites on upsert', async () => {
      const id = mintSessionId();
      await f.store.save(id, record({ v: 1 }), 60_000);
      await f.store.save(id, record({ v: 2 }), 60_000);
      expect((await f.store.load(id))?.data).toEqual({ v: 2 });
    });

    it('create mode writes only a new id', async () => {
      const id = mintSessionId();
      expect(await f.store.save(id, record({ v: 1 }), 60_000, { mode: 'create' })).toBe(true);
      expect(await f.store.save(id, record({ v: 2 }), 60_000, { mode: 'create' })).toBe(false);
      expect((await f.store.load(id))?.data).toEqual({ v: 1 });
    });

    it('update mode never brings back a deleted session (I3)', async () => {
      const id = mintSessionId();
      await f.store.save(id, record({ v: 1 }), 60_000);
      const loaded = await f.store.load(id);
      await f.store.delete(id);
      expect(await f.store.save(id, { ...loaded!, data: { v: 2 } }, 60_000, { mode: 'update' })).toBe(false);
      expect(await f.store.load(id)).toBeNull();
    });

    it('cycle moves the record to the new id and removes the old one', async () => {
      const [oldId, newId] = [mintSessionId(), mintSessionId()];
      await f.store.save(oldId, record({ step: 'anon' }), 60_000);
      await f.store.cycle(oldId, newId, record({ step: 'authed' }), 60_000);
      expect(await f.store.load(oldId)).toBeNull();
      expect((await f.store.load(newId))?.data).toEqual({ step: 'authed' });
    });

    it('cycle refuses to overwrite an existing new id', async () => {
      const [oldId, newId] = [mintSessionId(), mintSessionId()];
      await f.store.save(oldId, record({ who: 'old' }), 60_000);
      await f.store.save(newId, record({ who: 'victim' }), 60_000);
      await expect(f.store.cycle(oldId, newId, record({ who: 'attacker' }), 60_000)).rejects.toMatchObject({ kind: 'command' });
      expect((await f.store.load(newId))?.data).toEqual({ who: 'victim' });
    });

    // Steps that must land before an expiry are timed: a try where one overran is run again (see
    // untilConclusive). Steps that must land after an expiry only wait longer on a slow machine.
    it('expires a record after its ttl', async () => {
      await untilConclusive(async (within) => {
        const id = mintSessionId();
        const started = performance.now();
        await f.store.save(id, record(), f.shortTtlMs);
        const loaded = await f.store.load(id);
        if (!within(started, f.shortTtlMs)) return INCONCLUSIVE;
        expect(loaded).not.toBeNull();
        await f.elapse(f.shortTtlMs * 2 + 20);
        expect(await f.store.load(id)).toBeNull();
      });
    });

    it('slides the expiry forward when a load asks for it', async () => {
      const unit = f.shortTtlMs;
      await untilConclusive(async (within) => {
        const id = mintSessionId();
        const saveStarted = performance.now();
        await f.store.save(id, record(), 2 * unit);
        await f.elapse(unit / 2);
        const refreshStarted = performance.now();
        const refreshed = await f.store.load(id, { refreshTtlMs: 3 * unit });
        if (!within(saveStarted, 2 * unit)) return INCONCLUSIVE;
        expect(refreshed).not.toBeNull();
        // Past the first expiry (save + 2 units) by half a unit, before the slid one.
        await f.elapse(2 * unit);
        const later = await f.store.load(id);
        if (!within(refreshStarted, 3 * unit)) return INCONCLUSIVE;
        expect(later).not.toBeNull();
        await f.elapse(3 * unit + 20);
        expect(await f.store.load(id)).toBeNull();
      });
    });

    it('a plain load does not slide the expiry', async () => {
      const unit = f.shortTtlMs;
      await untilConclusive(async (within) => {
        const id = mintSessionId();
        const started = performance.now();
        await f.store.save(id, record(), 2 * unit);
        await f.elapse(unit / 2);
        const loaded = await f.store.load(id);
        if (!within(started, 2 * unit)) return INCONCLUSIVE;
        expect(loaded).not.toBeNull();
        await f.elapse(2 * unit);
        expect(await f.store.load(id)).toBeNull();
      });
    });

    it('rejects a ttl that is not a positive whole number of ms', async () => {
      for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(f.store.save(mintSessionId(), record(), ttl)).rejects.toMatchObject({ name: 'AxessArgumentError', argument: 'ttlMs' });
      }
    });
  });
}
