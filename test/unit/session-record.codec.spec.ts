import { randomBytes } from 'node:crypto';
import { Packr } from 'msgpackr';
import { RECORD_VERSION, SessionRecordCodec, SessionStoreError, type SessionRecord } from '../../src/internal';

const codec = new SessionRecordCodec();
/** A plain msgpack encoder to forge stored bytes of every shape. */
const forge = new Packr({ useRecords: false });
/** Encoder of the extension types msgpackr knows (Set, Error, RegExp, typed arrays). */
const forgeMoreTypes = new Packr({ useRecords: false, moreTypes: true });

const CREATED = 1_900_000_000_000;
const valid = [RECORD_VERSION, CREATED, 'u-1', CREATED + 5, '203.0.113.9', 'UA/1.0', { a: 1 }];

function expectCodecError(fn: () => unknown): SessionStoreError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SessionStoreError);
  expect((caught as SessionStoreError).kind).toBe('codec');
  return caught as SessionStoreError;
}

const withField = (index: number, value: unknown) => valid.map((v, i) => (i === index ? value : v));
/** A v1 record whose data element is the given raw MessagePack bytes. */
const withRawData = (raw: number[]) =>
  Buffer.concat([Buffer.from([0x97]), ...valid.slice(0, 6).map((v) => forge.pack(v)), Buffer.from(raw)]);

describe('SessionRecordCodec', () => {
  describe('round trip', () => {
    it('keeps every field of a full record', () => {
      const record: SessionRecord = {
        data: { role: 'admin', n: 42, ok: true, nothing: null, list: [1, 'two', { three: 3 }] },
        createdAt: CREATED,
        userId: 'user:42',
        authenticatedAt: CREATED + 1_000,
        ip: '2001:db8::1',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
      };
      expect(codec.decode(codec.encode(record))).toEqual(record);
    });

    it('keeps a minimal record minimal (absent optional fields stay absent)', () => {
      const decoded = codec.decode(codec.encode({ data: {}, createdAt: 0 }));
      expect(decoded).toEqual({ data: {}, createdAt: 0 });
      expect(Object.keys(decoded).sort()).toEqual(['createdAt', 'data']);
    });

    it('keeps Dates, Buffers and unicode in data', () => {
      const when = new Date('2031-02-03T04:05:06.789Z');
      const blob = randomBytes(100);
      const data = { when, blob, text: 'Zoë ✓ 日本語 😀 \u0000 end', nested: { deep: [when, blob] } };
      const decoded = codec.decode(codec.encode({ data, createdAt: CREATED }));
      expect(decoded.data.when).toBeInstanceOf(Date);
      expect((decoded.data.when as Date).toISOString()).toBe(when.toISOString());
      expect(Buffer.isBuffer(decoded.data.blob)).toBe(true);
      expect((decoded.data.blob as Buffer).equals(blob)).toBe(true);
      expect(decoded.data.text).toBe(data.text);
      expect(decoded.data.nested).toEqual({ deep: [when, blob] });
    });

    it('keeps unicode in the metadata strings', () => {
      const record: SessionRecord = { data: {}, createdAt: CREATED, userId: 'zoë@例え.jp', userAgent: 'Agent 🤖' };
      expect(codec.decode(codec.encode(record))).toEqual(record);
    });

    it('keeps a `__proto__` key in data as an own key, without touching any prototype', () => {
      const data = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
      const decoded = codec.decode(codec.encode({ data, createdAt: CREATED }));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(decoded.data)).toBe(Object.prototype);
      expect((decoded.data as { polluted?: unknown }).polluted).toBeUndefined();
      expect(decoded.data.x).toBe(1);
    });
  });

  describe('user ids come back exactly, whatever the string', () => {
    it.each([
      ['a lone high surrogate', '\uD800'],
      ['a lone low surrogate between letters', 'a\uDC00b'],
      ['swapped surrogates', '\uDC00\uD800'],
      ['a well-formed astral character', '\u{1F600}'],
      ['10,000 characters', 'u'.repeat(10_000)],
    ])('%s', (_label, userId) => {
      const decoded = codec.decode(codec.encode({ data: {}, createdAt: 1, userId }));
      expect(decoded.userId).toBe(userId);
      // Ids UTF-8 would merge stay apart.
      if (!userId.isWellFormed()) expect(decoded.userId).not.toBe(userId.toWellFormed());
    });
  });

  describe('refuses to encode what it could not decode (fails on save, not silently on load)', () => {
    it.each([
      ['a non-integer createdAt', { data: {}, createdAt: 1.5 }],
      ['a Date as createdAt', { data: {}, createdAt: new Date() }],
      ['a negative createdAt', { data: {}, createdAt: -1 }],
      ['a numeric userId', { data: {}, createdAt: CREATED, userId: 42 }],
      ['a string authenticatedAt', { data: {}, createdAt: CREATED, authenticatedAt: '2031-01-01' }],
      ['data that is an array', { data: [1, 2], createdAt: CREATED }],
      ['data that is null', { data: null, createdAt: CREATED }],
      ['data that is a string', { data: 'x', createdAt: CREATED }],
      ['data that is a Date', { data: new Date(), createdAt: CREATED }],
      ['data that is a Buffer', { data: Buffer.from('x'), createdAt: CREATED }],
    ])('%s → codec error', (_label, record) => {
      expectCodecError(() => codec.encode(record as unknown as SessionRecord));
    });

    it('accepts class instances and Maps as data: they encode as maps and come back as plain objects', () => {
      class Profile {
        constructor(readonly name: string) {}
      }
      const fromClass = codec.decode(codec.encode({ data: new Profile('ada') as unknown as Record<string, unknown>, createdAt: CREATED }));
      expect(fromClass.data).toEqual({ name: 'ada' });
      const fromMap = codec.decode(codec.encode({ data: new Map([['k', 1]]) as unknown as Record<string, unknown>, createdAt: CREATED }));
      expect(fromMap.data).toEqual({ k: 1 });
    });
  });

  describe('undecodable bytes → SessionStoreError kind codec', () => {
    it('accepts the hand-forged valid record (so the cases below differ from it in one way only)', () => {
      expect(codec.decode(forge.pack(valid))).toEqual({
        data: { a: 1 },
        createdAt: CREATED,
        userId: 'u-1',
        authenticatedAt: CREATED + 5,
        ip: '203.0.113.9',
        userAgent: 'UA/1.0',
      });
    });

    it.each([
      ['empty bytes', Buffer.alloc(0)],
      ['a lone array header', Buffer.from([0x97])],
      ['a truncated record', forge.pack(valid).subarray(0, 10)],
      ['a valid record followed by trailing bytes', Buffer.concat([forge.pack(valid), Buffer.from([0x01])])],
      ['a string header longer than the input', Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])],
    ])('%s', (_label, bytes) => {
      const error = expectCodecError(() => codec.decode(bytes));
      expect(error.cause).toBeDefined();
    });

    it('256 random garbage blobs all fail typed', () => {
      for (let i = 0; i < 256; i++) {
        const bytes = randomBytes(1 + (i % 64));
        let result: unknown;
        try {
          result = codec.decode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(SessionStoreError);
          expect((error as SessionStoreError).kind).toBe('codec');
          continue;
        }
        // Random bytes forming a valid v1 record would be astronomically unlikely.
        throw new Error(`random bytes decoded as a record: ${JSON.stringify(result)}`);
      }
    });
  });

  describe('valid MessagePack of the wrong shape → SessionStoreError kind codec', () => {
    it.each([
      ['a map instead of an array', forge.pack({ version: 1, data: {} })],
      ['the reserved 0xc1 marker (msgpackr reads it as a placeholder object)', Buffer.from([0xc1])],
      ['a string', forge.pack('hello')],
      ['nil', forge.pack(null)],
      ['a number', forge.pack(1)],
      ['version 0', forge.pack(withField(0, 0))],
      ['version 2 (a future layout)', forge.pack(withField(0, 2))],
      ['the version as a string', forge.pack(withField(0, '1'))],
      ['6 elements (one short)', forge.pack(valid.slice(0, 6))],
      ['8 elements (one extra)', forge.pack([...valid, 'extra'])],
      ['an empty array', forge.pack([])],
      ['createdAt as a string', forge.pack(withField(1, '1900000000000'))],
      ['createdAt as a float', forge.pack(withField(1, 1.5))],
      ['createdAt negative', forge.pack(withField(1, -5))],
      ['createdAt missing (nil)', forge.pack(withField(1, null))],
      ['createdAt beyond the safe integer range', forge.pack(withField(1, 2 ** 60))],
      ['userId as a number', forge.pack(withField(2, 7))],
      [
        'userId as binary of a well-formed id (only ids with lone surrogates are written as binary)',
        forge.pack(withField(2, Buffer.from('ab', 'utf16le'))),
      ],
      ['userId as binary of an odd length', forge.pack(withField(2, Buffer.from([0x00, 0xd8, 0x61])))],
      ['authenticatedAt as a string', forge.pack(withField(3, 'yesterday'))],
      ['ip as a map', forge.pack(withField(4, { v4: '1.2.3.4' }))],
      ['userAgent as binary', forge.pack(withField(5, Buffer.from('UA')))],
      ['data as an array', forge.pack(withField(6, [1, 2]))],
      ['data as nil', forge.pack(withField(6, null))],
      ['data as a string', forge.pack(withField(6, 'data'))],
      ['data as binary', forge.pack(withField(6, Buffer.from('data')))],
      ['data as a timestamp (Date)', forge.pack(withField(6, new Date()))],
      ['data as a Set extension', forgeMoreTypes.pack(withField(6, new Set([1])))],
      ['data as an Error extension', forgeMoreTypes.pack(withField(6, new Error('boom')))],
      ['data as a RegExp extension', forgeMoreTypes.pack(withField(6, /x/))],
      // ext 0x74 = msgpackr's typed array extension, here a one-byte Uint8Array.
      ['data as a typed array extension', withRawData([0xc7, 0x02, 0x74, 0x01, 0x01])],
    ])('%s', (_label, bytes) => {
      expectCodecError(() => codec.decode(bytes));
    });
  });

  describe("the session's own cookie lifetime (an eighth element, written only when chosen)", () => {
    it.each([null, 0, 3_600_000])('round-trips cookieMaxAgeMs %p', (cookieMaxAgeMs) => {
      const record: SessionRecord = { data: { a: 1 }, createdAt: CREATED, userId: 'u', cookieMaxAgeMs };
      expect(codec.decode(codec.encode(record))).toEqual(record);
    });

    it('writes the seven elements of before when the session chose nothing, and reads them as before', () => {
      const record: SessionRecord = { data: { a: 1 }, createdAt: CREATED };
      expect((forge.unpack(codec.encode(record)) as unknown[]).length).toBe(7);
      expect(codec.decode(forge.pack(valid))).not.toHaveProperty('cookieMaxAgeMs');
    });

    it.each([
      ['a string', 'x'],
      ['a fraction', 1.5],
      ['a negative number', -1],
      ['an object', {}],
    ])('refuses %s as the stored cookie lifetime', (_label, value) => {
      expectCodecError(() => codec.decode(forge.pack([...valid, value])));
      expectCodecError(() => codec.encode({ data: {}, createdAt: CREATED, cookieMaxAgeMs: value as number }));
    });

    it('refuses a ninth element other than a boolean, and an eleventh', () => {
      expectCodecError(() => codec.decode(forge.pack([...valid, null, null])));
      expectCodecError(() => codec.decode(forge.pack([...valid, null, false])));
      expectCodecError(() => codec.decode(forge.pack([...valid, null, 1])));
      expectCodecError(() => codec.decode(forge.pack([...valid, null, true, 1, 1])));
    });
  });

  describe('a remembered session (a ninth element, true, written only when remembered)', () => {
    it.each([undefined, null, 0, 3_600_000])('round-trips remembered with cookieMaxAgeMs %p', (cookieMaxAgeMs) => {
      const record: SessionRecord = {
        data: { a: 1 },
        createdAt: CREATED,
        userId: 'u',
        remembered: true,
        ...(cookieMaxAgeMs === undefined ? {} : { cookieMaxAgeMs }),
      };
      const decoded = codec.decode(codec.encode(record));
      expect(decoded).toEqual(record);
      if (cookieMaxAgeMs === undefined) expect(decoded).not.toHaveProperty('cookieMaxAgeMs');
      expect((forge.unpack(codec.encode(record)) as unknown[]).length).toBe(9);
    });

    it('writes nothing more for a session that is not remembered (records of before read as not remembered)', () => {
      expect((forge.unpack(codec.encode({ data: {}, createdAt: CREATED, remembered: false })) as unknown[]).length).toBe(7);
      expect(codec.decode(forge.pack(valid))).not.toHaveProperty('remembered');
      expect(codec.decode(forge.pack([...valid, 60_000]))).not.toHaveProperty('remembered');
    });

    it('refuses "no choice" (false) as the eighth element unless the ninth says remembered', () => {
      expectCodecError(() => codec.decode(forge.pack([...valid, false])));
      expect(codec.decode(forge.pack([...valid, false, true]))).toMatchObject({ remembered: true });
    });

    it('refuses a non-boolean remembered on encode', () => {
      expectCodecError(() => codec.encode({ data: {}, createdAt: CREATED, remembered: 'yes' as unknown as boolean }));
    });
  });

  describe('a failOpen sign-in awaiting its registration (a tenth element, written only while pending)', () => {
    it.each([
      [undefined, false, 0],
      [null, true, 3],
      [3_600_000, false, 2],
    ])('round-trips pendingAdmission beside cookieMaxAgeMs %p and remembered %p', (cookieMaxAgeMs, remembered, pendingAdmission) => {
      const record: SessionRecord = {
        data: { a: 1 },
        createdAt: CREATED,
        userId: 'u',
        ...(cookieMaxAgeMs === undefined ? {} : { cookieMaxAgeMs }),
        ...(remembered ? { remembered: true } : {}),
        pendingAdmission,
      };
      expect(codec.decode(codec.encode(record))).toEqual(record);
      expect((forge.unpack(codec.encode(record)) as unknown[]).length).toBe(10);
    });

    it.each([
      ['a string', 'x'],
      ['a fraction', 1.5],
      ['a negative number', -1],
      ['null', null],
    ])('refuses %s as the pending cap', (_label, value) => {
      expectCodecError(() => codec.decode(forge.pack([...valid, false, false, value])));
      expectCodecError(() => codec.encode({ data: {}, createdAt: CREATED, pendingAdmission: value as number }));
    });

    it('reads false as "not remembered" only beside a pending admission', () => {
      expectCodecError(() => codec.decode(forge.pack([...valid, false, false])));
      expect(codec.decode(forge.pack([...valid, false, false, 1]))).toMatchObject({ pendingAdmission: 1 });
      expect(codec.decode(forge.pack([...valid, false, false, 1]))).not.toHaveProperty('remembered');
      expect(codec.decode(forge.pack([...valid, false, false, 1]))).not.toHaveProperty('cookieMaxAgeMs');
    });
  });
});
