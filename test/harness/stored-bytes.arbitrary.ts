import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { AesGcmSessionCipher, SessionRecordCodec, type SessionRecord, type SessionStoreErrorKind } from '../../src/internal';

/** Bytes an attacker with write access to Valkey (or a bug, or bit rot) leaves under a session key. */
export interface StoredBytesAttack {
  /** What the bytes are, for the failure report. */
  label: string;
  /** The bytes to store under the target session's key. */
  bytes: Buffer;
  /** The `onUnreadable` kinds this attack may be reported as. */
  kinds: SessionStoreErrorKind[];
  /** A session this attack copied from, which must still load afterwards. */
  source?: { id: string; record: SessionRecord };
}

/** The target of the attacks: a session id and the store's current key. */
export interface AttackTarget {
  id: string;
  key: Buffer;
  maxPayloadBytes: number;
}

const codec = new SessionRecordCodec();
// Self-describing MessagePack, as the codec writes it.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

const validRecord = (): SessionRecord => ({
  data: { cart: ['book', 'lamp'], theme: 'dark' },
  createdAt: 1_900_000_000_000,
  userId: 'user-42',
  authenticatedAt: 1_900_000_000_100,
  ip: '203.0.113.9',
  userAgent: 'Probe/1.0',
});

/** A well-formed v1 record array, for one-field-off variants. */
const validFields = (): unknown[] => [1, 1_900_000_000_000, 'user-42', 1_900_000_000_100, '203.0.113.9', 'Probe/1.0', { cart: ['book'] }];

/** Values no record field may hold, by field index (the codec's contract). */
const badTime = fc.oneof(
  fc.constantFrom(-1, 0.5, 1e300, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity, '1900000000000', true, null, [], {}),
  fc.integer({ max: -1 }),
);
const notStringOrNull = fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom([], {}, ['a'], Buffer.from('ab'), 1.5));
const notPlainMap = fc.oneof(
  fc.constantFrom(null, 'data', 7, true, [], [['a', 1]], Buffer.from('data'), new Date(0), new Set([1]), new Uint8Array([1, 2])),
  fc.array(fc.integer(), { maxLength: 4 }),
);
const oneFieldOff = fc.oneof(
  fc
    .anything()
    .filter((v) => v !== 1)
    .map((v) => ({ at: 0, value: v })),
  badTime.map((v) => ({ at: 1, value: v })),
  notStringOrNull.map((v) => ({ at: 2, value: v })),
  badTime.filter((v) => v !== null).map((v) => ({ at: 3, value: v })),
  notStringOrNull.map((v) => ({ at: 4, value: v })),
  notStringOrNull.map((v) => ({ at: 5, value: v })),
  notPlainMap.map((v) => ({ at: 6, value: v })),
);

/**
 * Valid MessagePack of the wrong shape: anything but a 7- or 8-element array (a v1 record, with
 * or without the session's cookie lifetime), or a v1 array with one field wrong.
 */
const wrongShape = fc.oneof(
  fc.anything({ maxDepth: 3 }).filter((v) => !(Array.isArray(v) && (v.length === 7 || v.length === 8))),
  fc
    .integer({ min: 0, max: 12 })
    .filter((n) => n !== 7 && n !== 8)
    .map((n) => validFields().concat(Array(14).fill(null)).slice(0, n)),
  oneFieldOff.map(({ at, value }) => {
    const fields = validFields();
    fields[at] = value;
    return fields;
  }),
  // The eighth element, when there is one, is a cookie lifetime: null or whole ms ≥ 0.
  badTime.filter((v) => v !== null).map((v) => [...validFields(), v]),
);

/**
 * Every way stored bytes can be wrong, each sealed (or not) so that it reaches the layer meant
 * to refuse it: the size cap, the cipher (wrong key, wrong id, tampering), or the codec (sealed
 * with the right key and id, but not a record).
 */
export function storedBytesAttack(target: AttackTarget, options: { oversized: boolean }): fc.Arbitrary<StoredBytesAttack> {
  const cipher = new AesGcmSessionCipher(target.key);
  const valid = () => cipher.seal(target.id, codec.encode(validRecord()));
  const attacks: Array<fc.Arbitrary<StoredBytesAttack>> = [
    fc.uint8Array({ maxLength: 300 }).map((b) => ({ label: 'random bytes', bytes: Buffer.from(b), kinds: ['decrypt'] })),
    fc.nat().map((n) => {
      const sealed = valid();
      return { label: `truncated to ${n % sealed.length}`, bytes: sealed.subarray(0, n % sealed.length), kinds: ['decrypt'] };
    }),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([n, bit]) => {
      const sealed = Buffer.from(valid());
      sealed[n % sealed.length] ^= 1 << bit;
      return { label: `bit ${bit} of byte ${n % sealed.length} flipped`, bytes: sealed, kinds: ['decrypt'] };
    }),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((extra) => ({
      label: `${extra.length} bytes appended`,
      bytes: Buffer.concat([valid(), extra]),
      kinds: ['decrypt'] as SessionStoreErrorKind[],
    })),
    wrongShape.map((value) => ({
      label: `valid MessagePack of the wrong shape: ${fc.stringify(value).slice(0, 80)}`,
      bytes: cipher.seal(target.id, packr.pack(value)),
      kinds: ['codec'],
    })),
    fc.uint8Array({ maxLength: 200 }).map((b) => ({
      label: 'not MessagePack at all, sealed with the right key',
      bytes: cipher.seal(target.id, Buffer.concat([Buffer.from([0xc1]), Buffer.from(b)])),
      kinds: ['codec'],
    })),
    sessionIdArb
      .filter((id) => id !== target.id)
      .map((id) => {
        const source = { id, record: validRecord() };
        return {
          label: "another session's record (same key, other id)",
          bytes: cipher.seal(source.id, codec.encode(source.record)),
          kinds: ['decrypt'] as SessionStoreErrorKind[],
          source,
        };
      }),
    keyArb
      .filter((key) => !key.equals(target.key))
      .map((key) => ({
        label: 'a record for this id sealed with another key',
        bytes: new AesGcmSessionCipher(key).seal(target.id, codec.encode(validRecord())),
        kinds: ['decrypt'] as SessionStoreErrorKind[],
      })),
  ];
  if (options.oversized) {
    attacks.push(
      fc.uint8Array({ minLength: target.maxPayloadBytes + 1, maxLength: target.maxPayloadBytes + 512 }).map((b) => ({
        label: `${b.length - target.maxPayloadBytes} bytes over the cap`,
        bytes: Buffer.from(b),
        kinds: ['payload-too-large'] as SessionStoreErrorKind[],
      })),
    );
  }
  return fc.oneof(...attacks);
}

/** 32-byte keys drawn from the property's seed. */
export const keyArb: fc.Arbitrary<Buffer> = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));

/** Session ids of the minted shape (24 bytes, base64url), drawn from the property's seed. */
export const sessionIdArb: fc.Arbitrary<string> = fc
  .uint8Array({ minLength: 24, maxLength: 24 })
  .map((b) => Buffer.from(b).toString('base64url'));

/** A record that is valid, for canaries and sources. */
export { validRecord };
