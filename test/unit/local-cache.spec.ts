import {
  AxessArgumentError,
  CachingSessionStore,
  copySessionRecord,
  InMemorySessionStore,
  mintSessionId,
  resolveLocalCache,
  SessionLifetime,
  SessionLru,
  SessionStore,
  type CacheCoherence,
  type InvalidationListener,
  type LoadOptions,
  type SaveMode,
  type SessionRecord,
} from '../../src/internal';
import { observeLocalCache } from '../../src/cache/local-cache.metrics';
import { ManualClock } from '../../src/testing';
import { MetricsProbe } from '../harness/telemetry';

/** A coherence source the test drives by hand. */
class ManualCoherence implements CacheCoherence {
  coherent = true;
  epoch = 0;
  listener!: InvalidationListener;
  connect(listener: InvalidationListener): void {
    this.listener = listener;
  }
  /** Coherence lost: what the Valkey tracker does when a connection drops. */
  lose(): void {
    this.coherent = false;
    this.epoch++;
    this.listener.flush();
  }
}

/**
 * A store that counts calls and can hold reads until the test releases them: the core, plus the
 * capabilities whose calls the cache's tests count (`expiry`, `goneMarkers`' markGone).
 */
class SpyStore extends SessionStore {
  readonly calls: string[] = [];
  private held: Array<() => void> | undefined;
  constructor(readonly inner: SessionStore) {
    super();
  }
  /** Reads wait from now on until `release()`. */
  hold(): void {
    this.held = [];
  }
  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }
  private async gate(): Promise<void> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
  }
  async load(id: string, options?: LoadOptions): Promise<SessionRecord | null> {
    this.calls.push(options?.refreshTtlMs === undefined ? 'load' : 'load+slide');
    await this.gate();
    return this.inner.load(id, options);
  }
  override async remainingTtl(ids: readonly string[]): Promise<Map<string, number>> {
    this.calls.push('remainingTtl');
    await this.gate();
    return this.inner.remainingTtl(ids);
  }
  save(id: string, record: SessionRecord, ttlMs: number, options?: { mode?: SaveMode }): Promise<boolean> {
    this.calls.push('save');
    return this.inner.save(id, record, ttlMs, options);
  }
  delete(...ids: string[]): Promise<void> {
    this.calls.push('delete');
    return this.inner.delete(...ids);
  }
  cycle(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<void> {
    this.calls.push('cycle');
    return this.inner.cycle(oldId, newId, record, ttlMs);
  }
  override markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void> {
    this.calls.push('markGone');
    return this.inner.markGone(ids, reason, ttlMs);
  }
  override expire(id: string, ttlMs: number): Promise<boolean> {
    this.calls.push(`expire ${ttlMs}`);
    return this.inner.expire(id, ttlMs);
  }
}

const IDLE = 60 * 60_000;
const ANONYMOUS = 10 * 60_000;
const ABSOLUTE = 24 * 60 * 60_000;
const TOUCH = 60_000;

describe('CachingSessionStore', () => {
  let clock: ManualClock;
  let coherence: ManualCoherence;
  let spy: SpyStore;
  let store: CachingSessionStore;
  const signedIn = (data: Record<string, unknown> = { n: 1 }): SessionRecord => ({
    data,
    createdAt: clock.nowMs(),
    userId: 'u',
    authenticatedAt: clock.nowMs(),
  });

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2031, 0, 1));
    coherence = new ManualCoherence();
    spy = new SpyStore(new InMemorySessionStore({ clock }));
    store = new CachingSessionStore(
      spy,
      coherence,
      new SessionLifetime(IDLE, ABSOLUTE, ANONYMOUS),
      clock,
      { maxEntries: 100, maxBytes: 1 << 20, touchIntervalMs: TOUCH },
      // The cache's expiry estimates on the same clock as the memory store's expiry.
      { now: () => clock.nowMs() },
    );
  });

  /** Stored through another instance (not through this cache). */
  const storedElsewhere = async (record: SessionRecord = signedIn(), ttl = IDLE) => {
    const id = mintSessionId();
    await spy.inner.save(id, record, ttl);
    return id;
  };

  it('a miss reads the record and its time to live together; later loads are served from the cache', async () => {
    const id = await storedElsewhere();
    await store.load(id, { refreshTtlMs: IDLE });
    expect(spy.calls).toEqual(['load', 'remainingTtl']);
    for (let i = 0; i < 3; i++) await store.load(id, { refreshTtlMs: IDLE });
    expect(spy.calls).toEqual(['load', 'remainingTtl']);
    expect(store.stats).toMatchObject({ hits: 3, misses: 1, touches: 0 });
  });

  it('hands out copies: changes in place reach neither the cached record nor the next caller', async () => {
    const id = await storedElsewhere(signedIn({ cart: { items: ['pen'] }, when: new Date(5), raw: Buffer.from('ab') }));
    const first = (await store.load(id))!;
    (first.data.cart as { items: string[] }).items.push('x');
    (first.data.when as Date).setTime(0);
    (first.data.raw as Buffer)[0] = 0;
    const second = (await store.load(id))!;
    expect(second.data).toEqual({ cart: { items: ['pen'] }, when: new Date(5), raw: Buffer.from('ab') });
    const third = (await store.load(id))!;
    expect(third).not.toBe(second);
    expect(third.data.cart).not.toBe(second.data.cart);
  });

  it('slides the idle expiry at most once per touch interval, to the timeout that applies (anonymous: the shorter one)', async () => {
    const signed = await storedElsewhere();
    const anonymous = await storedElsewhere({ data: {}, createdAt: clock.nowMs() }, ANONYMOUS);
    await store.load(signed, { refreshTtlMs: IDLE });
    await store.load(anonymous, { refreshTtlMs: IDLE });
    spy.calls.length = 0;
    clock.advance(TOUCH - 1);
    await store.load(signed, { refreshTtlMs: IDLE });
    await store.load(anonymous, { refreshTtlMs: IDLE });
    expect(spy.calls).toEqual([]);
    clock.advance(2);
    await store.load(signed, { refreshTtlMs: IDLE });
    await store.load(anonymous, { refreshTtlMs: IDLE });
    await store.load(signed, { refreshTtlMs: IDLE });
    expect(spy.calls).toEqual([`expire ${IDLE}`, `expire ${ANONYMOUS}`]);
    // What the middleware asks for an anonymous session after each load is already done.
    expect(await store.expire(anonymous, ANONYMOUS)).toBe(true);
    expect(spy.calls).toHaveLength(2);
    expect(store.stats.touches).toBe(2);
    // Reported as axess.cache.touches: how often the cache refreshed an idle expiry (a `PEXPIRE`).
    const probe = new MetricsProbe();
    observeLocalCache(probe.provider.getMeter('local-cache'), store.stats);
    expect(await probe.sum('axess.cache.touches')).toBe(2);
    await probe.shutdown();
  });

  it('near the absolute deadline the slide is cut to it (never longer), and a record past it is handed to the caller (which refuses it) without a refresh', async () => {
    const id = await storedElsewhere({ ...signedIn(), createdAt: clock.nowMs() - ABSOLUTE + 2 * TOUCH }, 1_000);
    await store.load(id, { refreshTtlMs: IDLE });
    expect(spy.calls.filter((c) => c.startsWith('expire'))).toEqual([`expire ${2 * TOUCH}`]);
    clock.advance(2 * TOUCH - 1);
    spy.calls.length = 0;
    // Valkey would expire it at the deadline; the memory store is made to keep it longer here.
    await spy.inner.expire(id, IDLE);
    expect(await store.load(id, { refreshTtlMs: IDLE })).not.toBeNull();
    expect(spy.calls).toEqual([]);
    clock.advance(1);
    // Past the deadline: the copy is not served (its known expiry passed); the record read through is not slid.
    expect(await store.load(id, { refreshTtlMs: IDLE })).not.toBeNull();
    expect(spy.calls).toEqual(['load', 'remainingTtl']);
  });

  it('never serves a copy at or after the time to live it knows Valkey holds', async () => {
    const id = await storedElsewhere(signedIn(), 5 * TOUCH);
    await store.load(id);
    clock.advance(5 * TOUCH);
    spy.calls.length = 0;
    expect(await store.load(id)).toBeNull();
    expect(spy.calls).toEqual(['load', 'remainingTtl']);
  });

  it('an invalidation drops the copy: the next load reads through', async () => {
    const id = await storedElsewhere(signedIn({ v: 1 }));
    await store.load(id);
    await spy.inner.save(id, signedIn({ v: 2 }), IDLE);
    coherence.listener.invalidate([id]);
    expect(store.holds(id)).toBe(false);
    expect((await store.load(id))!.data).toEqual({ v: 2 });
    expect(store.stats.invalidations).toBe(1);
  });

  it('an invalidation that arrives while a hit waits its turn is applied first: the change is served, not the copy', async () => {
    const id = await storedElsewhere(signedIn({ v: 1 }));
    await store.load(id);
    await spy.inner.save(id, signedIn({ v: 2 }), IDLE);
    const loading = store.load(id);
    // Delivered by the subscriber in the same poll as the request, after the request was read.
    coherence.listener.invalidate([id]);
    expect((await loading)!.data).toEqual({ v: 2 });
  });

  it('a read in flight when its record is invalidated is served but not kept', async () => {
    const id = await storedElsewhere();
    spy.hold();
    const reading = store.load(id);
    coherence.listener.invalidate([id]);
    spy.release();
    expect(await reading).not.toBeNull();
    expect(store.holds(id)).toBe(false);
    // A read that starts after the invalidation is kept.
    await store.load(id);
    expect(store.holds(id)).toBe(true);
  });

  it('a read in flight when coherence is lost (or a flush) is not kept, even once coherence is back', async () => {
    const id = await storedElsewhere();
    spy.hold();
    const reading = store.load(id);
    coherence.lose();
    coherence.coherent = true;
    spy.release();
    await reading;
    expect(store.holds(id)).toBe(false);
  });

  it('a read in flight while this process writes the same session is not kept (its own writes do not come back as invalidations)', async () => {
    const id = await storedElsewhere(signedIn({ v: 1 }));
    spy.hold();
    const reading = store.load(id);
    const writing = store.save(id, signedIn({ v: 2 }), IDLE);
    spy.release();
    await Promise.all([reading, writing]);
    expect((await store.load(id))!.data).toEqual({ v: 2 });
  });

  it('without coherence: every call goes to the store as it was asked, and nothing is kept', async () => {
    coherence.lose();
    const id = await storedElsewhere();
    await store.load(id, { refreshTtlMs: IDLE });
    await store.load(id, { refreshTtlMs: IDLE });
    await store.save(id, signedIn(), IDLE, { mode: 'update' });
    expect(spy.calls).toEqual(['load+slide', 'load+slide', 'save']);
    expect(store.size).toBe(0);
    expect(store.stats.bypassed).toBe(2);
  });

  it('the writer keeps what a read of the written bytes decodes (a Map is an object there), without reading it back', async () => {
    const id = mintSessionId();
    await store.save(id, signedIn({ prefs: new Map([['a', 1]]), skip: undefined }), IDLE, { mode: 'create' });
    spy.calls.length = 0;
    const mine = await store.load(id);
    expect(spy.calls).toEqual([]);
    expect(mine).toEqual(await spy.inner.load(id));
    expect(mine!.data.prefs).toEqual({ a: 1 });
  });

  it('a save refused by its mode (update of a gone session) leaves no copy; cycle keeps the new id only; delete and markGone drop', async () => {
    const id = mintSessionId();
    expect(await store.save(id, signedIn(), IDLE, { mode: 'update' })).toBe(false);
    expect(store.holds(id)).toBe(false);
    const old = await storedElsewhere();
    await store.load(old);
    const moved = mintSessionId();
    await store.cycle(old, moved, signedIn({ moved: true }), IDLE);
    expect([store.holds(old), store.holds(moved)]).toEqual([false, true]);
    expect(await store.load(old)).toBeNull();
    const [a, b] = [await storedElsewhere(), await storedElsewhere()];
    await store.load(a);
    await store.load(b);
    await store.delete(a);
    await store.markGone([b], 'revoked', TOUCH);
    expect([store.holds(a), store.holds(b)]).toEqual([false, false]);
    expect([await store.load(a), await store.load(b)]).toEqual([null, null]);
  });

  it('ending sessions (delete, markGone) sends one more command on the same keys once the deletion is answered (a fence)', async () => {
    const [a, b] = [await storedElsewhere(), await storedElsewhere()];
    spy.calls.length = 0;
    await store.delete(a);
    await store.markGone([b], 'revoked', TOUCH);
    expect(spy.calls).toEqual(['delete', 'remainingTtl', 'markGone', 'remainingTtl']);
  });

  it('a refresh that finds the key gone answers null and drops the copy', async () => {
    const id = await storedElsewhere();
    await store.load(id, { refreshTtlMs: IDLE });
    await spy.inner.delete(id);
    clock.advance(TOUCH + 1);
    expect(await store.load(id, { refreshTtlMs: IDLE })).toBeNull();
    expect(store.holds(id)).toBe(false);
  });

  it('checks options as the stores do, and answers null for a malformed id without a ticket', async () => {
    await expect(store.load(mintSessionId(), { refreshTtlMs: 0 })).rejects.toThrow(AxessArgumentError);
    expect(await store.load('not-an-id')).toBeNull();
    expect(store.backend).toBe(spy.backend);
  });
});

describe('SessionLru', () => {
  const entry = (bytes: number) => ({ record: { data: {}, createdAt: 0 }, bytes, expiresAt: Infinity });

  it('evicts the least recently used beyond maxEntries; a read counts as a use', () => {
    const lru = new SessionLru(2, 1_000);
    lru.set('a', entry(1));
    lru.set('b', entry(1));
    lru.get('a');
    lru.set('c', entry(1));
    expect([lru.peek('a'), lru.peek('b'), lru.peek('c')].map(Boolean)).toEqual([true, false, true]);
  });

  it('a session read between every insertion is never evicted, however many others come and go', () => {
    const lru = new SessionLru(100, 1 << 20);
    lru.set('hot', entry(1));
    for (let i = 0; i < 10_000; i++) {
      lru.set(`cold-${i}`, entry(1));
      expect(lru.get('hot')).toBeDefined();
    }
    expect(lru.size).toBe(100);
  });

  it('evicts beyond maxBytes, keeps the byte count exact, and never keeps an entry larger than the bound', () => {
    const lru = new SessionLru(10, 100);
    lru.set('a', entry(60));
    lru.set('b', entry(30));
    lru.set('c', entry(30));
    expect([lru.peek('a'), lru.peek('b'), lru.peek('c')].map(Boolean)).toEqual([false, true, true]);
    expect(lru.bytes).toBe(60);
    lru.set('b', entry(10));
    expect(lru.bytes).toBe(40);
    lru.set('huge', entry(101));
    expect(lru.peek('huge')).toBeUndefined();
    lru.delete('c');
    lru.clear();
    expect([lru.size, lru.bytes]).toEqual([0, 0]);
  });
});

describe('copySessionRecord', () => {
  it('copies deeply, keeping each decoded type, and keeps a __proto__ key a key', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "list": [{"a": 1}], "n": null}') as Record<string, unknown>;
    Object.assign(data, { when: new Date(7), bytes: Buffer.from([1, 2]), set: new Set([1]), map: new Map([['k', 'v']]), re: /x/g });
    const original = { data, createdAt: 1, userId: 'u' };
    const copy = copySessionRecord(original);
    expect(copy).toEqual(original);
    expect(copy.data).not.toBe(data);
    expect(copy.data.list).not.toBe(data.list);
    expect(Buffer.isBuffer(copy.data.bytes)).toBe(true);
    expect(copy.data.bytes).not.toBe(data.bytes);
    expect(Object.getPrototypeOf(copy.data)).toBe(Object.prototype);
    expect(Object.keys(copy.data)).toContain('__proto__');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('the localCache option', () => {
  const IDLE_MIN = 15 * 60_000;

  it('is off unless given; true means the defaults', () => {
    for (const off of [undefined, null, false]) expect(resolveLocalCache(off, IDLE_MIN)).toBeUndefined();
    expect(resolveLocalCache(true, IDLE_MIN)).toEqual({
      maxEntries: 10_000,
      maxBytes: 16 * 1024 * 1024,
      touchIntervalMs: 45_000,
      maxStalenessMs: 1_000,
    });
    expect(resolveLocalCache({ maxEntries: 5 }, IDLE_MIN)).toMatchObject({ maxEntries: 5, touchIntervalMs: 45_000 });
    expect(resolveLocalCache({ maxStalenessMs: 100 }, IDLE_MIN)).toMatchObject({ maxStalenessMs: 100 });
  });

  it.each([
    ['a string', 'yes', 'localCache'],
    ['an array', [], 'localCache'],
    ['maxEntries 0', { maxEntries: 0 }, 'localCache.maxEntries'],
    ['maxBytes 1.5', { maxBytes: 1.5 }, 'localCache.maxBytes'],
    ['a touch interval over half the shorter idle timeout', { touchIntervalMs: IDLE_MIN / 2 + 1 }, 'localCache.touchIntervalMs'],
    ['a maximum staleness under 100 ms', { maxStalenessMs: 99 }, 'localCache.maxStalenessMs'],
    ['a fractional maximum staleness', { maxStalenessMs: 250.5 }, 'localCache.maxStalenessMs'],
  ])('refuses %s, naming the option', (_label, given, option) => {
    expect(() => resolveLocalCache(given, IDLE_MIN)).toThrow(expect.objectContaining({ option }) as Error);
  });
});
