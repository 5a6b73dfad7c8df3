import { mintSessionId, type SessionRecord, type SessionStore } from '../../src/internal';
import { INCONCLUSIVE, untilConclusive } from '../harness/real-time';

/** What a backend gives the shared store suite. */
export interface StoreFixture {
  store: SessionStore;
  /** Lets `ms` of expiry time pass (a ManualClock jump, or a real wait for Valkey's PX). */
  elapse(ms: number): Promise<void>;
  /**
   * The time unit of the expiry tests: each step that must happen before an expiry has at least
   * this much slack (a try that overruns it is run again); on a manual clock any value works.
   */
  shortTtlMs: number;
  close(): Promise<void>;
}

/** The unit for backends that expire on real time: long enough that most tries are conclusive. */
export const REAL_TIME_UNIT_MS = 250;

const record = (data: Record<string, unknown> = { cart: [1, 2, 3] }): SessionRecord => ({ data, createdAt: 1_900_000_000_000 });

/** The expectations every SessionStore backend must meet (invariant I7). */
export function describeSessionStoreConformance(backend: string, makeFixture: () => Promise<StoreFixture>): void {
  describe(`SessionStore conformance: ${backend}`, () => {
    let f: StoreFixture;
    beforeEach(async () => {
      f = await makeFixture();
    });
    afterEach(async () => {
      await f.close();
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
      expect(await f.store.existing([a, b, c])).toEqual(new Set([c]));
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
      expect(await f.store.existing([oldId, ...newIds])).toEqual(new Set([winner]));
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
        expect(await f.store.existing([id])).toEqual(new Set());
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

    it('reports remaining ttl only for live records', async () => {
      const [live, gone] = [mintSessionId(), mintSessionId()];
      await f.store.save(live, record(), 60_000);
      const ttls = await f.store.remainingTtl([live, gone, 'garbage']);
      expect([...ttls.keys()]).toEqual([live]);
      expect(ttls.get(live)).toBeGreaterThan(55_000);
      expect(ttls.get(live)).toBeLessThanOrEqual(60_000);
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

    describe('gone markers', () => {
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
    });

    it('rejects a ttl that is not a positive whole number of ms', async () => {
      for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(f.store.save(mintSessionId(), record(), ttl)).rejects.toMatchObject({ name: 'AxessArgumentError', argument: 'ttlMs' });
      }
    });
  });
}
