import type { Logger } from '@nestjs/common';
import {
  AesGcmSessionCipher,
  DEFAULT_MAX_PAYLOAD_BYTES,
  InMemorySessionStore,
  mintSessionId,
  SealedRecordFormat,
  SessionRecordCodec,
  ValkeySessionStore,
  SessionStoreError,
  type SessionRecord,
  type SessionStore,
  type UnreadableRecordHook,
} from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';
import { withTestClient } from '../harness/valkey-hooks';

/** nonce (12) + tag (16): what AES-GCM adds to the encoded record. */
const SEAL_OVERHEAD = 28;
const CREATED = 1_900_000_000_000;
const codec = new SessionRecordCodec();
const quiet = { warn: () => undefined, error: () => undefined, log: () => undefined } as unknown as Logger;

const padded = (n: number): SessionRecord => ({ data: { pad: 'x'.repeat(n) }, createdAt: CREATED });
const sealedSize = (n: number) => codec.encode(padded(n)).length + SEAL_OVERHEAD;

/** The record whose sealed form is exactly `target` bytes (binary search on the padding length). */
function recordSealedTo(target: number): SessionRecord {
  let [lo, hi] = [0, target];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sealedSize(mid) < target) lo = mid + 1;
    else hi = mid;
  }
  if (sealedSize(lo) !== target) throw new Error(`no padding seals to exactly ${target} bytes`);
  return padded(lo);
}

/** One byte more than `recordSealedTo(target)`. */
function recordSealedToOneMore(target: number): SessionRecord {
  const at = recordSealedTo(target);
  const bigger = padded((at.data.pad as string).length + 1);
  expect(sealedSize((at.data.pad as string).length + 1)).toBe(target + 1);
  return bigger;
}

interface Backend {
  store: SessionStore;
  /** Whether the backend holds anything for `id`. */
  holds(id: string): Promise<boolean>;
  /** Raw size of what Valkey holds for `id` (memory keeps no raw view). */
  rawSize?(id: string): Promise<number | undefined>;
  close(): Promise<void>;
}

const backends: Array<[string, (cap: number) => Promise<Backend>]> = [
  [
    'InMemorySessionStore (AES-GCM cipher)',
    async (cap) => {
      const store = new InMemorySessionStore({
        clock: new ManualClock(),
        cipher: new AesGcmSessionCipher(randomKey()),
        maxPayloadBytes: cap,
        logger: quiet,
      });
      return {
        store,
        holds: async (id) => (await store.existing([id])).has(id),
        close: async () => undefined,
      };
    },
  ],
  [
    'ValkeySessionStore (real valkey-server)',
    async (cap) => {
      const client = testClient();
      const prefix = uniquePrefix('cap');
      let store: ValkeySessionStore;
      try {
        store = new ValkeySessionStore(client, randomKey(), { prefix, maxPayloadBytes: cap, logger: quiet });
      } catch (error) {
        client.disconnect();
        throw error;
      }
      return {
        store,
        holds: async (id) => (await client.exists(`${prefix}:sess:${id}`)) === 1,
        rawSize: async (id) => (await client.getBuffer(`${prefix}:sess:${id}`))?.length,
        close: async () => void (await client.quit()),
      };
    },
  ],
];

describe.each(backends)('payload cap: %s', (_backend, make) => {
  describe.each([
    ['the default cap (64 KiB)', DEFAULT_MAX_PAYLOAD_BYTES],
    ['a small cap (300 bytes)', 300],
  ])('%s', (_label, cap) => {
    let b: Backend;
    beforeEach(async () => {
      b = await make(cap);
    });
    afterEach(async () => {
      await b.close();
    });

    it('a record sealed to exactly maxPayloadBytes saves and loads back', async () => {
      const id = mintSessionId();
      const record = recordSealedTo(cap);
      expect(await b.store.save(id, record, 60_000)).toBe(true);
      expect(await b.holds(id)).toBe(true);
      if (b.rawSize) expect(await b.rawSize(id)).toBe(cap);
      expect(await b.store.load(id)).toEqual(record);
    });

    it('one byte over fails with kind payload-too-large and writes nothing', async () => {
      const id = mintSessionId();
      const error = await b.store.save(id, recordSealedToOneMore(cap), 60_000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SessionStoreError);
      expect((error as SessionStoreError).kind).toBe('payload-too-large');
      expect((error as SessionStoreError).message).not.toContain('xxxx');
      expect(await b.holds(id)).toBe(false);
      expect(await b.store.load(id)).toBeNull();
    });

    it('one byte over leaves an existing record as it was', async () => {
      const id = mintSessionId();
      const before: SessionRecord = { data: { v: 1 }, createdAt: CREATED };
      await b.store.save(id, before, 60_000);
      await expect(b.store.save(id, recordSealedToOneMore(cap), 60_000)).rejects.toMatchObject({ kind: 'payload-too-large' });
      expect(await b.store.load(id)).toEqual(before);
    });

    it('cycle with a record one byte over fails the same way and writes nothing', async () => {
      const [oldId, newId] = [mintSessionId(), mintSessionId()];
      await b.store.save(oldId, { data: {}, createdAt: CREATED }, 60_000);
      await expect(b.store.cycle(oldId, newId, recordSealedToOneMore(cap), 60_000)).rejects.toMatchObject({ kind: 'payload-too-large' });
      expect(await b.holds(newId)).toBe(false);
    });
  });

  it.each([0, -1, 1.5, Number.NaN, '65536'])('refuses maxPayloadBytes %p at construction (NaN would disable the cap)', async (cap) => {
    await expect(make(cap as number)).rejects.toMatchObject({ name: 'AxessOptionsError', option: 'maxPayloadBytes' });
  });
});

describe('a stored blob over the cap is refused before it is decrypted or decoded', () => {
  const CAP = 512;
  const valkey = withTestClient();

  it('ValkeySessionStore: a blob of cap + 1 bytes written with SET loads as no session without calling open()', async () => {
    const prefix = uniquePrefix('cap');
    const cipher = new AesGcmSessionCipher(randomKey());
    const open = jest.spyOn(cipher, 'open');
    const hook = jest.fn<ReturnType<UnreadableRecordHook>, Parameters<UnreadableRecordHook>>();
    const store = new ValkeySessionStore(valkey.client, cipher, { prefix, maxPayloadBytes: CAP, onUnreadable: hook, logger: quiet });
    const id = mintSessionId();

    // A genuine seal for this id, padded past the cap: only the size check can refuse it.
    const genuine = cipher.seal(id, codec.encode(padded(CAP)));
    expect(genuine.length).toBeGreaterThan(CAP);
    await valkey.client.set(`${prefix}:sess:${id}`, genuine, 'PX', 60_000);

    expect(await store.load(id)).toBeNull();
    expect(await store.load(id, { refreshTtlMs: 60_000 })).toBeNull();
    expect(open).not.toHaveBeenCalled();
    expect(hook).toHaveBeenCalledTimes(2);
    expect(hook.mock.calls[0][1].kind).toBe('payload-too-large');
  });

  it('ValkeySessionStore: a blob of exactly the cap does reach open() (the check is strictly greater)', async () => {
    const prefix = uniquePrefix('cap');
    const cipher = new AesGcmSessionCipher(randomKey());
    const open = jest.spyOn(cipher, 'open');
    const store = new ValkeySessionStore(valkey.client, cipher, { prefix, maxPayloadBytes: CAP, logger: quiet });
    const id = mintSessionId();
    const record = recordSealedTo(CAP);
    await valkey.client.set(`${prefix}:sess:${id}`, cipher.seal(id, codec.encode(record)), 'PX', 60_000);
    expect(await store.load(id)).toEqual(record);
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('the byte pipeline both stores share (SealedRecordFormat) refuses cap + 1 bytes without calling open()', () => {
    const cipher = new AesGcmSessionCipher(randomKey());
    const open = jest.spyOn(cipher, 'open');
    const format = new SealedRecordFormat(cipher, CAP);
    const hook = jest.fn<ReturnType<UnreadableRecordHook>, Parameters<UnreadableRecordHook>>();
    const id = mintSessionId();
    expect(format.readOrReport(id, Buffer.alloc(CAP + 1), quiet, hook)).toBeNull();
    expect(open).not.toHaveBeenCalled();
    expect(hook).toHaveBeenCalledWith(id, expect.objectContaining({ kind: 'payload-too-large' }));
  });
});
