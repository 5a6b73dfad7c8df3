import { isSessionId, mintSessionId } from '../../src/internal';

describe('session ids', () => {
  describe('mintSessionId', () => {
    it('mints 32 base64url characters without padding', () => {
      for (let i = 0; i < 100; i++) {
        expect(mintSessionId()).toMatch(/^[A-Za-z0-9_-]{32}$/);
      }
    });

    it('carries 24 random bytes (192 bits, at least 128)', () => {
      const bytes = Buffer.from(mintSessionId(), 'base64url');
      expect(bytes.length).toBe(24);
      expect(bytes.length * 8).toBeGreaterThanOrEqual(128);
      // Round-trips exactly: every character carries payload, none is filler.
      expect(bytes.toString('base64url')).toHaveLength(32);
    });

    it('mints 10,000 distinct ids', () => {
      const ids = new Set(Array.from({ length: 10_000 }, () => mintSessionId()));
      expect(ids.size).toBe(10_000);
    });

    it('spreads over the whole alphabet (not a counter or a timestamp)', () => {
      const firstChars = new Set(Array.from({ length: 2_000 }, () => mintSessionId()[0]));
      // 2,000 draws from 64 symbols miss one with probability ~ 64 * e^-31: never in practice.
      expect(firstChars.size).toBe(64);
    });

    it('accepts every id it mints', () => {
      for (let i = 0; i < 1_000; i++) expect(isSessionId(mintSessionId())).toBe(true);
    });
  });

  describe('isSessionId', () => {
    const valid = mintSessionId();
    const swap = (char: string) => char + valid.slice(1);

    it.each([
      ['a `*` (key pattern wildcard)', swap('*')],
      ['a `?` (key pattern wildcard)', swap('?')],
      ['a `:` (key separator)', swap(':')],
      ['a `{` (hash tag)', swap('{')],
      ['a `}` (hash tag)', valid.slice(0, 31) + '}'],
      ['braces around a tag', '{' + valid.slice(2) + '}'],
      ['a space', swap(' ')],
      ['a newline at the end', valid.slice(0, 31) + '\n'],
      ['a trailing newline after a full id', valid + '\n'],
      ['a NUL byte', swap('\u0000')],
      ['a carriage return', swap('\r')],
      ['a DEL control character', swap('\u007f')],
      ['base64 padding `=`', swap('=')],
      ['standard base64 `+`', swap('+')],
      ['standard base64 `/`', swap('/')],
      ['a non-ASCII letter', swap('é')],
      ['a full-width letter', swap('Ａ')],
      ['31 characters', valid.slice(1)],
      ['33 characters', valid + 'A'],
      ['an empty string', ''],
      ['a very long string', 'A'.repeat(10_000)],
    ])('rejects an id with %s', (_label, value) => {
      expect(isSessionId(value)).toBe(false);
    });

    it.each([
      ['a number', 12345],
      ['undefined', undefined],
      ['null', null],
      ['a Buffer of a valid id', Buffer.from(mintSessionId())],
      ['an array holding a valid id', [mintSessionId()]],
      ['a String object', new String(mintSessionId())],
      ['an object whose toString is a valid id', { toString: () => mintSessionId() }],
    ])('rejects %s', (_label, value) => {
      expect(isSessionId(value)).toBe(false);
    });
  });
});
