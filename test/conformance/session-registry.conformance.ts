import {
  mintSessionId,
  type InMemorySessionRegistry,
  type SessionLimitPolicy,
  type SessionRecord,
  type SessionRegistry,
  type SessionStore,
  type ValkeySessionRegistry,
} from '../../src/internal';
import type { ManualClock } from '../../src/testing';
import { INCONCLUSIVE, untilConclusive } from '../harness/real-time';

/** What a backend gives the shared registry suite. */
export interface RegistryFixture {
  /** A concrete registry: the suite also covers `invalidateSession`, which is not part of `SessionRegistry`. */
  registry: InMemorySessionRegistry | ValkeySessionRegistry;
  store: SessionStore;
  /** The registry's clock: scores are its ms. */
  clock: ManualClock;
  /** Lets `ms` of expiry time pass for records and registry sets (clock jump, plus a real wait on Valkey). */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Options a test may ask of the fixture. */
export interface RegistryFixtureOptions {
  /** The registry's `lifetimeMs`. */
  lifetimeMs?: number;
}

/** A registry of this backend whose backing Valkey is unreachable (a stopped server). */
export interface BrokenRegistry {
  registry: SessionRegistry;
  /** Puts a member in place where the backend allows it without Valkey (memory); no-op otherwise. */
  seed(userId: string, sessionId: string): Promise<void>;
  close(): Promise<void>;
}

const record = (): SessionRecord => ({ data: { n: 1 }, createdAt: 1_900_000_000_000 });
const DAY = 86_400_000;

/** The expectations every SessionRegistry backend must meet (invariant I7). */
export function describeSessionRegistryConformance(
  backend: string,
  makeFixture: (options?: RegistryFixtureOptions) => Promise<RegistryFixture>,
  makeBroken: () => Promise<BrokenRegistry>,
): void {
  describe(`SessionRegistry conformance: ${backend}`, () => {
    let f: RegistryFixture;
    const extra: RegistryFixture[] = [];
    beforeEach(async () => {
      f = await makeFixture();
    });
    afterEach(async () => {
      await f.close();
      for (const other of extra.splice(0)) await other.close();
    });

    /** Mints an id, writes its record, and admits it. */
    async function login(userId: string, max: number, fx = f): Promise<{ id: string; victims: string[] }> {
      const { id, victims } = await attempt(userId, max, 'evict-oldest', fx);
      if (victims === null) throw new Error('evict-oldest never refuses');
      return { id, victims };
    }

    /** Like `login`, under `onLimit`: `victims` is `null` when the admission was refused. */
    async function attempt(
      userId: string,
      max: number,
      onLimit: SessionLimitPolicy,
      fx = f,
    ): Promise<{ id: string; victims: string[] | null }> {
      const id = mintSessionId();
      const recordWritten = fx.store.save(id, record(), DAY, { mode: 'create' });
      return { id, victims: await fx.registry.admit(userId, id, max, { recordWritten, onLimit }) };
    }

    async function withRecord(id = mintSessionId(), ttlMs = DAY): Promise<string> {
      await f.store.save(id, record(), ttlMs);
      return id;
    }

    it('scores a registration with the clock in epoch ms', async () => {
      const id = await withRecord();
      const t = f.clock.nowMs();
      await f.registry.register('u1', id);
      expect(await f.registry.members('u1')).toEqual([{ sessionId: id, registeredAt: t }]);
    });

    it('registering again keeps the first score and position', async () => {
      const [a, b] = [await withRecord(), await withRecord()];
      const t0 = f.clock.nowMs();
      await f.registry.register('u1', a);
      f.clock.advance(1000);
      await f.registry.register('u1', b);
      f.clock.advance(1000);
      await f.registry.register('u1', a);
      expect(await f.registry.members('u1')).toEqual([
        { sessionId: a, registeredAt: t0 },
        { sessionId: b, registeredAt: t0 + 1000 },
      ]);
      expect(await f.registry.activeSessions('u1')).toEqual([a, b]);
    });

    it('evicts in FIFO order by clock ms, returning victims oldest first with their records gone', async () => {
      const t0 = f.clock.nowMs();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push((await login('fifo', 4)).id);
        f.clock.advance(10 + i);
      }
      expect((await f.registry.members('fifo')).map((m) => m.registeredAt)).toEqual([t0, t0 + 10, t0 + 21, t0 + 33]);
      const { id: newest, victims } = await login('fifo', 2);
      expect(victims).toEqual([ids[0], ids[1], ids[2]]);
      expect(await f.store.existing([...ids, newest])).toEqual(new Set([ids[3], newest]));
      expect(await f.registry.members('fifo')).toEqual([
        { sessionId: ids[3], registeredAt: t0 + 33 },
        { sessionId: newest, registeredAt: t0 + 46 },
      ]);
    });

    it('with an eviction marker, each victim is deleted and marked with the reason; without one, nothing is marked', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) ids.push((await login('marked', 4)).id);
      const newest = mintSessionId();
      await f.store.save(newest, record(), DAY);
      const victims = await f.registry.admit('marked', newest, 1, { evictionMarker: { reason: 'evicted:newer-sign-in', ttlMs: 60_000 } });
      expect(victims).toEqual(ids);
      expect(await f.store.existing([...ids, newest])).toEqual(new Set([newest]));
      for (const id of ids) expect(await f.store.goneReason(id)).toBe('evicted:newer-sign-in');
      expect(await f.store.goneReason(newest)).toBeUndefined();

      const plain = (await login('unmarked', 4)).id;
      await login('unmarked', 1);
      expect(await f.store.goneReason(plain)).toBeUndefined();
    });

    it("onLimit 'refuse' admits up to the cap, then refuses: nothing added, nothing evicted, every record left alone", async () => {
      const admitted: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { id, victims } = await attempt('full', 3, 'refuse');
        expect(victims).toEqual([]);
        admitted.push(id);
        f.clock.advance(1);
      }
      const before = await f.registry.members('full');
      const refused = await attempt('full', 3, 'refuse');
      expect(refused.victims).toBeNull();
      expect(await f.registry.members('full')).toEqual(before);
      expect(await f.registry.activeSessions('full')).toEqual(admitted);
      // The refused session's record is the caller's to delete; the registry never touched it.
      expect(await f.store.existing([...admitted, refused.id])).toEqual(new Set([...admitted, refused.id]));
      for (const id of admitted) expect(await f.store.goneReason(id)).toBeUndefined();
      // A lower cap than the sessions held refuses too, and still evicts nobody.
      expect((await attempt('full', 2, 'refuse')).victims).toBeNull();
      expect(await f.registry.activeSessions('full')).toEqual(admitted);
      // The same user under 'evict-oldest' is admitted and evicts, as before.
      const evicting = await attempt('full', 3, 'evict-oldest');
      expect(evicting.victims).toEqual([admitted[0]]);
    });

    it("onLimit 'refuse': dead members do not count, and a session already a member is admitted again", async () => {
      const a = await attempt('dead', 2, 'refuse');
      f.clock.advance(1);
      const b = await attempt('dead', 2, 'refuse');
      expect((await attempt('dead', 2, 'refuse')).victims).toBeNull();
      await f.store.delete(a.id);
      const c = await attempt('dead', 2, 'refuse');
      expect(c.victims).toEqual([]);
      expect(await f.registry.members('dead')).toEqual([
        { sessionId: b.id, registeredAt: expect.any(Number) },
        { sessionId: c.id, registeredAt: expect.any(Number) },
      ]);
      // Full again, yet a member's own re-admission is no new session: it is not refused.
      expect(await f.registry.admit('dead', b.id, 2, { onLimit: 'refuse' })).toEqual([]);
      expect(await f.registry.activeSessions('dead')).toEqual([b.id, c.id]);
    });

    it("onLimit 'refuse' under concurrency: of 12 simultaneous admissions with cap 4, exactly 4 get in", async () => {
      const outcomes = await Promise.all(Array.from({ length: 12 }, () => attempt('race', 4, 'refuse')));
      const admitted = outcomes.filter((o) => o.victims !== null);
      expect(admitted).toHaveLength(4);
      for (const o of admitted) expect(o.victims).toEqual([]);
      expect(new Set(await f.registry.activeSessions('race'))).toEqual(new Set(admitted.map((o) => o.id)));
    });

    it('refuses an onLimit that is neither policy, before touching the registry', async () => {
      const id = await withRecord();
      await expect(f.registry.admit('bad', id, 3, { onLimit: 'drop-newest' as SessionLimitPolicy })).rejects.toMatchObject({
        name: 'AxessOptionsError',
        option: 'onLimit',
      });
      expect(await f.registry.members('bad')).toEqual([]);
    });

    it('keeps admission order strict when the clock does not move (score = highest + 1)', async () => {
      const t = f.clock.nowMs();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await login('frozen', 5)).id);
      expect(await f.registry.members('frozen')).toEqual(ids.map((sessionId, i) => ({ sessionId, registeredAt: t + i })));
      // Oldest by admission, not by id order.
      const { victims } = await login('frozen', 3);
      expect(victims).toEqual(ids.slice(0, 3));
      // A registration in the same frozen millisecond also lands after the newest.
      const late = await withRecord();
      await f.registry.register('frozen', late);
      expect((await f.registry.members('frozen')).at(-1)).toEqual({ sessionId: late, registeredAt: t + 6 });
    });

    it('uses the clock again once it has moved past the newest score', async () => {
      const t = f.clock.nowMs();
      await login('u1', 5);
      await login('u1', 5);
      f.clock.advance(500);
      await login('u1', 5);
      expect((await f.registry.members('u1')).map((m) => m.registeredAt)).toEqual([t, t + 1, t + 500]);
    });

    it('with a cap of 1 keeps only the newest session', async () => {
      const first = await login('solo', 1);
      f.clock.advance(1);
      const second = await login('solo', 1);
      expect(first.victims).toEqual([]);
      expect(second.victims).toEqual([first.id]);
      expect(await f.registry.activeSessions('solo')).toEqual([second.id]);
      expect(await f.store.load(first.id)).toBeNull();
    });

    it("replacing swaps a re-sign-in's old id for the new one at the cap, evicting nobody", async () => {
      const others = [await login('swap', 3), await login('swap', 3)];
      const mine = await login('swap', 3);
      f.clock.advance(1);
      const next = mintSessionId();
      // The old record still there when the admission looks (its deletion not yet landed, as on
      // another Cluster node): the swap alone keeps the count at the cap.
      const written = f.store.save(next, record(), DAY, { mode: 'create' });
      const victims = await f.registry.admit('swap', next, 3, { recordWritten: written, replacing: mine.id });
      expect(victims).toEqual([]);
      expect(await f.registry.activeSessions('swap')).toEqual([...others.map((o) => o.id), next]);
      expect((await f.registry.members('swap')).map((m) => m.sessionId)).not.toContain(mine.id);
    });

    it('never evicts the id being admitted, even when re-admitted with an old score', async () => {
      const a = await login('re', 3);
      f.clock.advance(1);
      const b = await login('re', 3);
      f.clock.advance(1);
      const victims = await f.registry.admit('re', a.id, 1);
      expect(victims).toEqual([b.id]);
      expect(await f.registry.members('re')).toEqual([{ sessionId: a.id, registeredAt: expect.any(Number) }]);
      expect(await f.store.load(a.id)).not.toBeNull();
    });

    it('prunes members whose record expired or was deleted, so nothing live is evicted', async () => {
      const a = await login('stale', 3);
      f.clock.advance(1);
      const deleted = await login('stale', 3);
      f.clock.advance(1);
      const expiring = mintSessionId();
      await f.registry.admit('stale', expiring, 3, { recordWritten: f.store.save(expiring, record(), 100) });
      await f.store.delete(deleted.id);
      await f.elapse(300);
      expect((await f.registry.members('stale')).map((m) => m.sessionId)).toEqual([a.id, deleted.id, expiring]);

      const d = await login('stale', 2);
      expect(d.victims).toEqual([]);
      expect(await f.registry.members('stale')).toEqual([
        { sessionId: a.id, registeredAt: expect.any(Number) },
        { sessionId: d.id, registeredAt: expect.any(Number) },
      ]);
      expect(await f.registry.activeSessions('stale')).toEqual([a.id, d.id]);
    });

    it('activeSessions lists live sessions oldest first and leaves dead ones out; members keeps them', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push((await login('act', 10)).id);
        f.clock.advance(5);
      }
      await f.store.delete(ids[1]);
      expect(await f.registry.activeSessions('act')).toEqual([ids[0], ids[2], ids[3]]);
      expect((await f.registry.members('act')).map((m) => m.sessionId)).toEqual(ids);
      expect(await f.registry.activeSessions('nobody')).toEqual([]);
    });

    it('isValid needs both membership and a live record', async () => {
      const { id } = await login('v', 3);
      const unregistered = await withRecord();
      expect(await f.registry.isValid('v', id)).toBe(true);
      expect(await f.registry.isValid('v', unregistered)).toBe(false);
      expect(await f.registry.isValid('other', id)).toBe(false);
      expect(await f.registry.isValid('v', 'not-a-session-id')).toBe(false);
      await f.store.delete(id);
      expect(await f.registry.isValid('v', id)).toBe(false);
    });

    it('unregister removes the member and leaves the record', async () => {
      const { id } = await login('un', 3);
      await f.registry.unregister('un', id);
      await f.registry.unregister('un', id);
      expect(await f.registry.members('un')).toEqual([]);
      expect(await f.store.load(id)).not.toBeNull();
    });

    it('invalidateSession removes the member and deletes the record, leaving others alone', async () => {
      const a = await login('inv', 3);
      f.clock.advance(1);
      const b = await login('inv', 3);
      await f.registry.invalidateSession('inv', a.id);
      expect(await f.registry.isValid('inv', a.id)).toBe(false);
      expect(await f.store.load(a.id)).toBeNull();
      expect(await f.registry.activeSessions('inv')).toEqual([b.id]);
    });

    it('invalidateUser revokes every session of that user only and returns the ids oldest first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await login('all', 5)).id);
        f.clock.advance(1);
      }
      const other = await login('bystander', 5);
      expect(await f.registry.invalidateUser('all')).toEqual(ids);
      expect(await f.store.existing([...ids, other.id])).toEqual(new Set([other.id]));
      expect(await f.registry.members('all')).toEqual([]);
      expect(await f.registry.activeSessions('bystander')).toEqual([other.id]);
      expect(await f.registry.invalidateUser('all')).toEqual([]);
    });

    it('accepts user ids with separators, braces, wildcards, spaces and non-ASCII without collisions', async () => {
      const users = [
        'a',
        'a:b',
        'a:reg:b',
        '{x}',
        'x',
        '{x',
        '*',
        'a*',
        'with space',
        ' ',
        'Zoë',
        '用户',
        '🙂',
        'sess:' + mintSessionId(),
        'é'.repeat(256),
      ];
      const byUser = new Map<string, string>();
      for (const user of users) byUser.set(user, (await login(user, 1)).id);
      for (const user of users) {
        expect(await f.registry.activeSessions(user)).toEqual([byUser.get(user)]);
        expect(await f.registry.isValid(user, byUser.get(user)!)).toBe(true);
      }
      // Revoking one user touches nobody else.
      await f.registry.invalidateUser('a');
      await f.registry.invalidateUser('{x}');
      expect(await f.registry.activeSessions('a:b')).toEqual([byUser.get('a:b')]);
      expect(await f.registry.activeSessions('x')).toEqual([byUser.get('x')]);
      expect(await f.registry.activeSessions('*')).toEqual([byUser.get('*')]);
    });

    it('a user id shaped like a session key never touches that session', async () => {
      const id = await withRecord();
      await f.registry.register(id, id);
      await f.registry.invalidateUser('sess:' + id);
      expect(await f.store.load(id)).not.toBeNull();
      expect(await f.registry.invalidateUser(id)).toEqual([id]);
      expect(await f.store.load(id)).toBeNull();
    });

    it('refuses an empty user id, and anything not a string, with InvalidIdentifierError', async () => {
      const id = await withRecord();
      const bad: unknown[] = ['', undefined, null, 42, {}];
      for (const userId of bad) {
        const u = userId as string;
        for (const call of [
          () => f.registry.register(u, id),
          () => f.registry.unregister(u, id),
          () => f.registry.isValid(u, id),
          () => f.registry.activeSessions(u),
          () => f.registry.members(u),
          () => f.registry.admit(u, id, 3),
          () => f.registry.invalidateSession(u, id),
          () => f.registry.invalidateUser(u),
        ]) {
          await expect(call()).rejects.toMatchObject({ name: 'InvalidIdentifierError', identifier: 'userId' });
        }
      }
      expect(await f.store.load(id)).not.toBeNull();
    });

    it.each([
      ['exactly 512 UTF-8 bytes', 'é'.repeat(256)],
      ['513 UTF-8 bytes', 'x'.repeat(513)],
      ['10,000 characters (a whole token as the id)', 'eyJ'.repeat(3334)],
      ['a lone high surrogate', '\uD800'],
      ['a lone low surrogate inside text', 'a\uDC00b'],
    ])('any non-empty string is a user id: %s works, capped, listed and revoked like any other', async (_label, user) => {
      const first = await login(user, 2);
      const second = await login(user, 2);
      const third = await login(user, 2);
      expect(third.victims).toEqual([first.id]);
      expect(await f.registry.activeSessions(user)).toEqual([second.id, third.id]);
      expect(await f.registry.isValid(user, second.id)).toBe(true);
      // A look-alike (the same text with the surrogate repaired, or one character less) is another user.
      const lookAlike = user.isWellFormed() ? user.slice(0, -1) || 'z' : user.toWellFormed();
      expect(await f.registry.activeSessions(lookAlike)).toEqual([]);
      expect((await f.registry.invalidateUser(user)).sort()).toEqual([second.id, third.id].sort());
      expect(await f.registry.activeSessions(user)).toEqual([]);
    });

    it('refuses session ids that were not minted by the library', async () => {
      for (const bad of ['', 'short', '*', '{tag}'.padEnd(32, 'a'), 'x'.repeat(31) + ':']) {
        await expect(f.registry.register('u', bad)).rejects.toMatchObject({ name: 'InvalidIdentifierError', identifier: 'sessionId' });
        await expect(f.registry.admit('u', bad, 3)).rejects.toMatchObject({ name: 'InvalidIdentifierError', identifier: 'sessionId' });
      }
      expect(await f.registry.members('u')).toEqual([]);
    });

    it('refuses a cap that is not a whole number of at least 1', async () => {
      const id = await withRecord();
      for (const max of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
        await expect(f.registry.admit('cap', id, max)).rejects.toMatchObject({ name: 'AxessArgumentError', argument: 'maxSessions' });
      }
      expect(await f.registry.members('cap')).toEqual([]);
    });

    it('adds the member only once the record is written, and not at all if writing it fails', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const id = mintSessionId();
      const admitted = f.registry.admit('gate', id, 3, { recordWritten: gate.then(() => f.store.save(id, record(), DAY)) });
      await new Promise((r) => setTimeout(r, 50));
      expect(await f.registry.members('gate')).toEqual([]);
      release();
      expect(await admitted).toEqual([]);
      expect(await f.registry.activeSessions('gate')).toEqual([id]);

      const failing = mintSessionId();
      const failure = new Error('record write failed');
      await expect(f.registry.admit('gate', failing, 1, { recordWritten: Promise.reject(failure) })).rejects.toBe(failure);
      expect(await f.registry.activeSessions('gate')).toEqual([id]);
    });

    it('an invalid cap with a rejecting record write is a typed error, not an unhandled rejection', async () => {
      const written = new Promise((_, reject) => setTimeout(() => reject(new Error('late failure')), 10));
      await expect(f.registry.admit('cap', mintSessionId(), 0, { recordWritten: written })).rejects.toMatchObject({
        name: 'AxessArgumentError',
      });
      await new Promise((r) => setTimeout(r, 30));
    });

    it('the set expires once its newest session can no longer be alive, and admissions extend it', async () => {
      const g = await makeFixture({ lifetimeMs: 1000 });
      extra.push(g);
      let attempt = 0;
      // On real time, a try whose check before the expiry overran it is run again (untilConclusive).
      await untilConclusive(async (within) => {
        const user = `exp-${attempt++}`;
        const aStarted = performance.now();
        const a = await login(user, 5, g);
        await g.elapse(600);
        const bStarted = performance.now();
        const b = await login(user, 5, g);
        const bInTime = within(aStarted, 1000);
        await g.elapse(600);
        const members = await g.registry.members(user);
        if (!bInTime || !within(bStarted, 1000)) return INCONCLUSIVE;
        expect(members.map((m) => m.sessionId)).toEqual([a.id, b.id]);
        await g.elapse(700);
        expect(await g.registry.members(user)).toEqual([]);
      });
    });

    it('rejects a lifetime that is not a positive whole number of ms', async () => {
      for (const lifetimeMs of [0, -5, 1.5]) {
        await expect(makeFixture({ lifetimeMs })).rejects.toMatchObject({ name: 'AxessOptionsError', option: 'lifetimeMs' });
      }
    });

    it('a backend failure in admit and isValid throws SessionStoreError, never reads as empty', async () => {
      const broken = await makeBroken();
      try {
        const id = mintSessionId();
        await broken.seed('down', id);
        await expect(broken.registry.admit('down', mintSessionId(), 3)).rejects.toMatchObject({
          name: 'SessionStoreError',
          kind: 'connection',
        });
        await expect(broken.registry.isValid('down', id)).rejects.toMatchObject({ name: 'SessionStoreError' });
      } finally {
        await broken.close();
      }
    });
  });
}
