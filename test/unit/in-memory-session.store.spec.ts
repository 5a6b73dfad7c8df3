import { AesGcmSessionCipher, AxessOptionsError, InMemorySessionStore, mintSessionId, type SessionRecord } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { randomKey } from '../harness/valkey';

const record = (n: number): SessionRecord => ({ data: { n }, createdAt: 1_900_000_000_000 });

describe('InMemorySessionStore keeps memory bounded by live sessions', () => {
  const SWEEP = 10_000;
  let clock: ManualClock;
  let store: InMemorySessionStore;

  beforeEach(() => {
    clock = new ManualClock();
    store = new InMemorySessionStore({ clock, cipher: new AesGcmSessionCipher(randomKey()), sweepIntervalMs: SWEEP });
  });

  it('after expired sessions outlive the sweep interval, one more operation leaves only the live ones', async () => {
    const N = 500;
    for (let i = 0; i < N; i++) await store.save(mintSessionId(), record(i), 1_000);
    const live = [mintSessionId(), mintSessionId(), mintSessionId()];
    for (const id of live) await store.save(id, record(-1), 3_600_000);
    expect(store.size).toBe(N + live.length);

    clock.advance(SWEEP + 1_000);
    // An operation on an unrelated id: the sweep, not the lookup, must drop the expired entries.
    expect(await store.load(mintSessionId())).toBeNull();

    expect(store.size).toBe(live.length);
    expect(await store.existing(live)).toEqual(new Set(live));
  });

  it('does not sweep before the interval, yet expired entries already read as absent', async () => {
    const ids = Array.from({ length: 20 }, () => mintSessionId());
    for (const id of ids) await store.save(id, record(0), 1_000);
    clock.advance(2_000);
    await store.load(mintSessionId());
    // Within the interval the entries may still be held (amortised sweeping)...
    expect(store.size).toBe(ids.length);
    // ...but none of them is usable.
    expect(await store.existing(ids)).toEqual(new Set());
    expect(await store.load(ids[0])).toBeNull();
  });

  it('a save counts as the operation that triggers the sweep', async () => {
    for (let i = 0; i < 50; i++) await store.save(mintSessionId(), record(i), 500);
    clock.advance(SWEEP + 1);
    const fresh = mintSessionId();
    await store.save(fresh, record(1), 60_000);
    expect(store.size).toBe(1);
    expect(await store.existing([fresh])).toEqual(new Set([fresh]));
  });

  it('a session refreshed by a sliding load survives the sweep that drops its expired neighbours', async () => {
    const kept = mintSessionId();
    const dropped = mintSessionId();
    await store.save(kept, record(1), 8_000);
    await store.save(dropped, record(2), 8_000);
    clock.advance(7_000);
    expect(await store.load(kept, { refreshTtlMs: 8_000 })).not.toBeNull();
    clock.advance(SWEEP - 7_000 + 1);
    await store.load(mintSessionId());
    expect(store.size).toBe(1);
    expect((await store.load(kept))?.data).toEqual({ n: 1 });
  });

  it.each([Number.NaN, -1, 1.5, '60000'])('refuses sweepIntervalMs %p (it would stop sweeping for good)', (value) => {
    expect(() => new InMemorySessionStore({ clock, sweepIntervalMs: value as number })).toThrow(AxessOptionsError);
  });
});
