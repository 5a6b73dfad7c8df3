import fc from 'fast-check';

/** One UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc
  .integer({ min: 0, max: 0x1f })
  .map((c) => String.fromCharCode(c))
  .chain((c) => fc.constantFrom(c, '\u007f', '\u0085', '\u2028'));
/** Characters with a meaning in keys, globs, hash tags, RESP or logs. */
const special = fc.constantFrom(
  '{',
  '}',
  ':',
  '*',
  '?',
  '[',
  ']',
  '\\',
  ' ',
  '\n',
  '\r',
  '\0',
  '"',
  "'",
  '%',
  '$',
  '\t',
  ':reg:',
  ':sess:',
  '{}',
  '}{',
  '*:*',
);

/**
 * User ids an app may hand over (from a token's `sub`, a username, an email): empty, huge,
 * control characters, key syntax, every kind of unicode, lone surrogates, and not strings at all.
 */
export const userIdArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(''),
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: fc.oneof(special, fc.constantFrom('a', 'b', '1')), minLength: 1, maxLength: 20 }),
  fc.string({ unit: fc.oneof(control, fc.constantFrom('a', 'z')), minLength: 1, maxLength: 20 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
  fc.string({ unit: codeUnit, minLength: 1, maxLength: 30 }),
  fc.tuple(fc.string({ maxLength: 10 }), loneSurrogate, fc.string({ maxLength: 10 })).map(([a, s, b]) => a + s + b),
  // Around the 512-byte limit, in 1-, 2-, 3- and 4-byte characters.
  fc
    .tuple(fc.constantFrom('a', '\u00e9', '\u20ac', '\u{1f600}'), fc.integer({ min: 120, max: 520 }))
    .map(([c, n]) => c.repeat(Math.ceil(n / Buffer.byteLength(c)))),
  fc.string({ minLength: 500, maxLength: 5000 }),
  fc.oneof(fc.integer(), fc.constantFrom(null, undefined, {}, [], ['a'], true, 1n)),
);

/**
 * A second id made to look like the first: if the two were accepted and mapped to one key,
 * their sessions would mix. Swapped lone surrogates (equal once UTF-8 encoded), other
 * normalization forms, case, trailing bytes and key-syntax neighbours.
 */
export function lookAlike(first: unknown): fc.Arbitrary<unknown> {
  if (typeof first !== 'string' || first.length === 0) return userIdArb;
  return fc.oneof(
    userIdArb,
    loneSurrogate.map((s) => first.replace(/[\ud800-\udfff]/, s) + (/[\ud800-\udfff]/.test(first) ? '' : s)),
    fc.constantFrom('NFC', 'NFD', 'NFKC', 'NFKD').map((form) => (first.isWellFormed() ? first.normalize(form) : first + '\ufffd')),
    fc.constantFrom(
      first.toUpperCase(),
      first.toLowerCase(),
      `${first} `,
      `${first}\0`,
      `${first}:`,
      `{${first}}`,
      `${first}*`,
      first.slice(0, -1),
      `${first}\ufffd`,
    ),
  );
}

/** A pair of distinct user ids, the second often a look-alike of the first. */
export const userIdPairArb: fc.Arbitrary<[unknown, unknown]> = userIdArb
  .chain((a) => lookAlike(a).map((b): [unknown, unknown] => [a, b]))
  .filter(([a, b]) => a !== b);
