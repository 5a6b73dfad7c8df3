import { mintSessionId, type SessionStoreCapability } from '../../src/internal';
import { INCONCLUSIVE, untilConclusive } from '../harness/real-time';
import { record, type StoreFixture } from './store-fixture';

/** One suite per optional capability of `SessionStore`, each given the fixture of the test running. */
export const CAPABILITY_SUITES: Record<SessionStoreCapability, (fixture: () => StoreFixture) => void> = {
  rotation: (fixture) => {
    let f: StoreFixture;
    beforeEach(() => {
      f = fixture();
    });

    it('rotate moves the record like cycle and answers true while the old record is there', async () => {
      const [oldId, newId] = [mintSessionId(), mintSessionId()];
      await f.store.save(oldId, record({ step: 'signed-in' }), 60_000);
      expect(await f.store.rotate(oldId, newId, record({ step: 'again' }), 60_000)).toBe(true);
      expect(await f.store.load(oldId)).toBeNull();
      expect((await f.store.load(newId))?.data).toEqual({ step: 'again' });
    });

    it('of concurrent rotations of one id exactly one wins; the losers leave no record behind', async () => {
      const oldId = mintSessionId();
      await f.store.save(oldId, record(), 60_000);
      const newIds = [mintSessionId(), mintSessionId(), mintSessionId()];
      const won = await Promise.all(newIds.map((id) => f.store.rotate(oldId, id, record(), 60_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = newIds[won.indexOf(true)];
      const left = await Promise.all([oldId, ...newIds].map((id) => f.store.load(id)));
      expect([oldId, ...newIds].filter((_, i) => left[i] !== null)).toEqual([winner]);
    });
  },

  expiry: (fixture) => {
    let f: StoreFixture;
    beforeEach(() => {
      f = fixture();
    });

    it('reports remaining ttl only for live records', async () => {
      const [live, gone] = [mintSessionId(), mintSessionId()];
      await f.store.save(live, record(), 60_000);
      const ttls = await f.store.remainingTtl([live, gone, 'garbage']);
      expect([...ttls.keys()]).toEqual([live]);
      expect(ttls.get(live)).toBeGreaterThan(55_000);
      expect(ttls.get(live)).toBeLessThanOrEqual(60_000);
    });

    it('expire sets the remaining ttl of an existing record and answers false without one', async () => {
      const [live, gone] = [mintSessionId(), mintSessionId()];
      await f.store.save(live, record(), 60_000);
      expect(await f.store.expire(live, 600_000)).toBe(true);
      expect(await f.store.remainingTtl([live])).toEqual(new Map([[live, expect.any(Number)]]));
      expect((await f.store.remainingTtl([live])).get(live)).toBeGreaterThan(60_000);
      expect(await f.store.expire(gone, 600_000)).toBe(false);
      expect(await f.store.load(gone)).toBeNull();
    });
  },

  existence: (fixture) => {
    let f: StoreFixture;
    beforeEach(() => {
      f = fixture();
    });

    it('existing answers which ids still have a record', async () => {
      const [a, b, c] = [mintSessionId(), mintSessionId(), mintSessionId()];
      for (const id of [a, b, c]) await f.store.save(id, record(), 60_000);
      await f.store.delete(a);
      expect(await f.store.existing([a, b, c, 'garbage'])).toEqual(new Set([b, c]));
      expect(await f.store.existing([])).toEqual(new Set());
    });

    it('existing forgets an expired record', async () => {
      await untilConclusive(async (within) => {
        const id = mintSessionId();
        const started = performance.now();
        await f.store.save(id, record(), f.shortTtlMs);
        const before = await f.store.existing([id]);
        if (!within(started, f.shortTtlMs)) return INCONCLUSIVE;
        expect(before).toEqual(new Set([id]));
        await f.elapse(f.shortTtlMs * 2 + 20);
        expect(await f.store.existing([id])).toEqual(new Set());
      });
    });
  },

  goneMarkers: (fixture) => {
    let f: StoreFixture;
    beforeEach(() => {
      f = fixture();
    });

    it('markGone deletes the records and leaves the reason, other ids untouched', async () => {
      const [a, b, other] = [mintSessionId(), mintSessionId(), mintSessionId()];
      for (const id of [a, b, other]) await f.store.save(id, record(), 60_000);
      await f.store.markGone([a, b], 'evicted:newer-sign-in', 60_000);
      expect(await f.store.existing([a, b, other])).toEqual(new Set([other]));
      expect(await f.store.goneReason(a)).toBe('evicted:newer-sign-in');
      expect(await f.store.goneReason(b)).toBe('evicted:newer-sign-in');
      expect(await f.store.goneReason(other)).toBeUndefined();
    });

    it('answers undefined for ids never marked and for malformed ids', async () => {
      expect(await f.store.goneReason(mintSessionId())).toBeUndefined();
      for (const bad of ['', 'short', '*', '{tag}'.padEnd(32, 'a')]) expect(await f.store.goneReason(bad)).toBeUndefined();
    });

    it('lets the marker expire after its ttl', async () => {
      await untilConclusive(async (within) => {
        const id = mintSessionId();
        const started = performance.now();
        await f.store.markGone([id], 'revoked', f.shortTtlMs);
        const reason = await f.store.goneReason(id);
        if (!within(started, f.shortTtlMs)) return INCONCLUSIVE;
        expect(reason).toBe('revoked');
        await f.elapse(f.shortTtlMs * 2);
        expect(await f.store.goneReason(id)).toBeUndefined();
      });
    });

    it('a later mark replaces the reason; an empty list is a no-op', async () => {
      const id = mintSessionId();
      await f.store.markGone([id], 'revoked', 60_000);
      await f.store.markGone([id], 'logged-out', 60_000);
      await f.store.markGone([], 'revoked', 60_000);
      expect(await f.store.goneReason(id)).toBe('logged-out');
    });

    it('an update save after markGone does not bring the session back (I3)', async () => {
      const id = mintSessionId();
      await f.store.save(id, record(), 60_000);
      await f.store.markGone([id], 'revoked', 60_000);
      expect(await f.store.save(id, record({ late: true }), 60_000, { mode: 'update' })).toBe(false);
      expect(await f.store.load(id)).toBeNull();
    });

    it('refuses malformed ids, reasons and ttls with typed errors', async () => {
      await expect(f.store.markGone(['not-an-id'], 'revoked', 1000)).rejects.toMatchObject({ name: 'InvalidIdentifierError' });
      for (const reason of ['', 'x'.repeat(201), 42 as unknown as string]) {
        await expect(f.store.markGone([mintSessionId()], reason, 1000)).rejects.toMatchObject({
          name: 'AxessArgumentError',
          argument: 'reason',
        });
      }
      for (const ttl of [0, 1.5, Number.NaN]) {
        await expect(f.store.markGone([mintSessionId()], 'revoked', ttl)).rejects.toMatchObject({
          name: 'AxessArgumentError',
          argument: 'ttlMs',
        });
      }
    });
  },

  listing: (fixture) => {
    let f: StoreFixture;
    beforeEach(() => {
      f = fixture();
    });

    it('sessionIds lists every id with a record, once, and neither deleted nor marked-gone ones', async () => {
      const ids = Array.from({ length: 5 }, () => mintSessionId());
      for (const id of ids) await f.store.save(id, record(), 60_000);
      await f.store.delete(ids[0]);
      await f.store.markGone([ids[1]], 'revoked', 60_000);
      const listed: string[] = [];
      for await (const page of f.store.sessionIds()) listed.push(...page);
      expect(listed.sort()).toEqual(ids.slice(2).sort());
    });
  },
};
