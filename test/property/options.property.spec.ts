import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { AxessOptionsError, resolveAxessOptions, type AxessSessionModuleOptions } from '../../src/internal';
import { PROPERTY_SEED } from '../harness/property-seed';

/**
 * Invariant I8 for options: any bad value of any option fails the boot with an
 * `AxessOptionsError` naming that option (never a crash, a TypeError later at request time, or a
 * silent default), and the message never echoes a key. Valid options resolve as given.
 */

const KEY = randomBytes(32);
const base = (): AxessSessionModuleOptions => ({ store: 'memory', encryptionKey: KEY, signingKey: randomBytes(32) });

/** Values of the wrong type for any option. */
const alien = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(null, [], {}, () => 1, Symbol.for('x'), 10n, new Date(0), /re/),
);

/** A key that is not 32 bytes, not base64, or not a key at all. */
const badKey = fc.oneof(
  fc
    .integer({ min: 0, max: 96 })
    .filter((n) => n !== 32)
    .map((n) => randomBytes(n)),
  fc
    .integer({ min: 0, max: 96 })
    .filter((n) => n !== 32)
    .map((n) => randomBytes(n).toString('base64')),
  fc
    .integer({ min: 0, max: 96 })
    .filter((n) => n !== 32)
    .map((n) => new Uint8Array(n)),
  // 32 bytes spelled with characters base64 does not have.
  fc.constantFrom('!', ' ', '%', '{', '\u00e9', '\n').map((c) => randomBytes(32).toString('base64').slice(0, 40) + c + 'AAAA'),
  fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constantFrom(null, {}, [], () => KEY, 32n),
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 32, maxLength: 32 }),
  ),
);

/** Numbers no count, size or duration may be: zero, negative, fractional, not finite, unsafe; or not numbers. */
const badCount = fc.oneof(
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 1, 2 ** 64),
  fc.integer({ max: 0 }),
  fc.double({ min: -1e9, max: 1e9, noNaN: true }).filter((n) => !Number.isInteger(n)),
  fc.oneof(fc.string({ maxLength: 6 }), fc.boolean(), fc.constantFrom([], {}, 5n, [5], '5')),
);

/** Prefixes that would break the key layout: empty, too long, braces (hash tags), spaces, globs, non-ASCII. */
const badPrefix = fc.oneof(
  fc.constant(''),
  fc.string({ unit: fc.constantFrom('a', 'b', '1', ':', '-'), minLength: 65, maxLength: 120 }),
  fc
    .tuple(
      fc.string({ maxLength: 8, unit: 'grapheme-ascii' }),
      fc.constantFrom('{', '}', ' ', '*', '?', '[', '\n', '\0', '\u00e9', '/', '"'),
      fc.string({ maxLength: 8, unit: 'grapheme-ascii' }),
    )
    .map(([a, c, b]) => a + c + b),
  fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom({}, [], ['axess'])),
);

/** Cookie names that are not RFC 6265 tokens, or not strings. */
const badCookieName = fc.oneof(
  fc.constant(''),
  fc
    .tuple(
      fc.string({ maxLength: 6, unit: 'grapheme-ascii' }),
      fc.constantFrom(' ', ';', '=', ',', '"', '(', ')', '/', '\t', '\u00e9', '\u0000', '\u007f', '@', '[', '{'),
      fc.string({ maxLength: 6 }),
    )
    .map(([a, c, b]) => a + c + b),
  fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom({}, [], ['sid'])),
);

/** Paths and domains the `cookie` serializer refuses, or values of another type. */
const badCookieAttribute = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 6, unit: 'grapheme-ascii' }), fc.constantFrom(';', '\n', '\u0000', '\u00e9'))
    .map(([a, c]) => `/${a}${c}`),
  fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom({}, [])),
);

/** A non-boolean where a boolean belongs ('false' as a string would read as true). */
const notBoolean = fc.oneof(fc.constantFrom('false', 'true', 'no', '', 0, 1, 'off', {}, []), fc.integer());

type Mutation = { option: string; apply: (o: AxessSessionModuleOptions) => AxessSessionModuleOptions; value: unknown };
const set = (option: string, value: unknown, apply: (o: AxessSessionModuleOptions, v: unknown) => AxessSessionModuleOptions): Mutation => ({
  option,
  value,
  apply: (o) => apply(o, value),
});
const field = (name: keyof AxessSessionModuleOptions) => (o: AxessSessionModuleOptions, v: unknown) => ({ ...o, [name]: v });
const cookieField = (name: string) => (o: AxessSessionModuleOptions, v: unknown) => ({ ...o, cookie: { ...o.cookie, [name]: v } });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  badKey.map((v) => set('encryptionKey', v, field('encryptionKey'))),
  badKey.map((v) => set('signingKey', v, field('signingKey'))),
  badKey.map((v) => set('previousEncryptionKeys', v, (o, key) => ({ ...o, previousEncryptionKeys: [randomBytes(32), key as Buffer] }))),
  fc
    .oneof(fc.string({ maxLength: 8 }), fc.constantFrom(KEY, {}, 1))
    .map((v) => set('previousEncryptionKeys', v, field('previousEncryptionKeys'))),
  badCount.map((v) => set('idleTimeoutMs', v, field('idleTimeoutMs'))),
  badCount.map((v) => set('absoluteTimeoutMs', v, field('absoluteTimeoutMs'))),
  badCount.map((v) => set('maxPayloadBytes', v, field('maxPayloadBytes'))),
  badCount.map((v) => set('commandTimeoutMs', v, field('commandTimeoutMs'))),
  fc.oneof(badCount, fc.constant(null)).map((v) => set('maxSessionsPerUser', v, field('maxSessionsPerUser'))),
  fc
    .tuple(fc.integer({ min: 2, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 40 }))
    .filter(([idle, absolute]) => absolute < idle)
    .map(([idle, absolute]) => set('absoluteTimeoutMs', absolute, (o) => ({ ...o, idleTimeoutMs: idle, absoluteTimeoutMs: absolute }))),
  badPrefix.map((v) => set('prefix', v, field('prefix'))),
  fc
    .oneof(
      fc.string({ maxLength: 8 }).filter((s) => s !== 'valkey' && s !== 'memory'),
      alien.filter((v) => v !== null),
    )
    .map((v) => set('store', v, field('store'))),
  badCookieName.map((v) => set('cookie', v, cookieField('name'))),
  fc
    .oneof(fc.constantFrom('Lax', 'STRICT', 'None', ' lax', 'lax;', '', true), alien)
    .filter((v) => v !== null && v !== 'lax' && v !== 'strict' && v !== 'none')
    .map((v) => set('cookie', v, cookieField('sameSite'))),
  badCookieAttribute.map((v) => set('cookie', v, cookieField('path'))),
  badCookieAttribute.map((v) => set('cookie', v, cookieField('domain'))),
  notBoolean.map((v) => set('cookie', v, cookieField('secure'))),
  notBoolean.map((v) => set('cookie', v, cookieField('httpOnly'))),
  fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constantFrom([], true)).map((v) => set('cookie', v, field('cookie'))),
  notBoolean.map((v) => set('failOpen', v, field('failOpen'))),
  notBoolean.map((v) => set('plaintext', v, field('plaintext'))),
  notBoolean.map((v) => set('captureClientInfo', v, field('captureClientInfo'))),
  notBoolean.map((v) => set('mountMiddleware', v, field('mountMiddleware'))),
  fc.constant(set('plaintext', true, field('plaintext'))),
  fc
    .oneof(alien, fc.constantFrom({ now: 1 }, { nowMs: () => 1 }, { now: () => new Date(), nowMs: 5 }))
    .filter((v) => v !== null)
    .map((v) => set('clock', v, field('clock'))),
  fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constantFrom({}, [], true)).map((v) => set('userIdFrom', v, field('userIdFrom'))),
  fc
    .oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constantFrom({}, [], true))
    .map((v) => set('passportUserId', v, field('passportUserId'))),
  notBoolean.map((v) => set('warnUnboundLogin', v, field('warnUnboundLogin'))),
);

/** Where an error about `option` may point: the option itself or one of its fields. */
function names(error: AxessOptionsError, option: string): boolean {
  return error.option === option || error.option.startsWith(`${option}.`) || error.option.startsWith(`${option}[`);
}

describe('options: every bad value fails the boot with AxessOptionsError naming it (property)', () => {
  it('a single bad option anywhere', () => {
    fc.assert(
      fc.property(mutation, ({ option, apply, value }) => {
        let thrown: unknown;
        try {
          resolveAxessOptions(apply(base()));
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(AxessOptionsError);
        expect({ option: (thrown as AxessOptionsError).option, named: names(thrown as AxessOptionsError, option) }).toEqual({
          option: (thrown as AxessOptionsError).option,
          named: true,
        });
        // A rejected key value is never echoed, whatever its form.
        if (typeof value === 'string' && value.length >= 8) expect((thrown as Error).message).not.toContain(value);
        if (Buffer.isBuffer(value) && value.length >= 6) {
          const message = (thrown as Error).message;
          expect(message).not.toContain(value.toString('base64'));
          expect(message).not.toContain(value.toString('hex'));
        }
      }),
      { seed: PROPERTY_SEED, numRuns: 3000 },
    );
  });

  it('valid options of every kind resolve to what was given', () => {
    const token = fc.string({ unit: fc.constantFrom(..."abcXYZ019!#$%&'*+-.^_`|~".split('')), minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(
        fc.record({
          idle: fc.integer({ min: 1, max: 2 ** 40 }),
          extra: fc.integer({ min: 0, max: 2 ** 40 }),
          cap: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
          payload: fc.integer({ min: 1, max: 2 ** 30 }),
          timeout: fc.integer({ min: 1, max: 600_000 }),
          prefix: fc.string({ unit: fc.constantFrom(...'azAZ09_.:-'.split('')), minLength: 1, maxLength: 64 }),
          name: token.filter((n) => !n.startsWith('__')),
          sameSite: fc.constantFrom('strict' as const, 'lax' as const, 'none' as const),
          failOpen: fc.boolean(),
          keyForm: fc.constantFrom('buffer', 'base64', 'base64url'),
        }),
        (v) => {
          const key = v.keyForm === 'buffer' ? KEY : KEY.toString(v.keyForm);
          const resolved = resolveAxessOptions({
            ...base(),
            encryptionKey: key,
            idleTimeoutMs: v.idle,
            absoluteTimeoutMs: v.idle + v.extra,
            maxSessionsPerUser: v.cap,
            maxPayloadBytes: v.payload,
            commandTimeoutMs: v.timeout,
            prefix: v.prefix,
            failOpen: v.failOpen,
            cookie: { name: v.name, sameSite: v.sameSite, secure: true },
          });
          expect(resolved).toMatchObject({
            idleTimeoutMs: v.idle,
            absoluteTimeoutMs: v.idle + v.extra,
            maxSessionsPerUser: v.cap,
            maxPayloadBytes: v.payload,
            commandTimeoutMs: v.timeout,
            failOpen: v.failOpen,
            cookie: { name: v.name, sameSite: v.sameSite, secure: true },
          });
          expect(resolved.keys.prefix).toBe(v.prefix);
        },
      ),
      { seed: PROPERTY_SEED + 1, numRuns: 1000 },
    );
  });
});
