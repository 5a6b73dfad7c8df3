import { createHmac, createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import { CookieSigner, InvalidIdentifierError, mintSessionId } from '../../src/internal';
import { randomKey } from '../harness/valkey';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `value` with the character at `index` replaced by a different base64url character. */
function mutate(value: string, index: number, shift = 1): string {
  const current = BASE64URL.indexOf(value[index]);
  const next = BASE64URL[(current + shift) % BASE64URL.length];
  return value.slice(0, index) + next + value.slice(index + 1);
}

describe('CookieSigner', () => {
  const key = randomKey();
  const signer = new CookieSigner(key);

  it('signs as id.base64url(mac) and verifies its own values', () => {
    const id = mintSessionId();
    const value = signer.sign(id);
    const [head, mac] = value.split('.');
    expect(head).toBe(id);
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(mac, 'base64url')).toHaveLength(32);
    expect(signer.verify(value)).toBe(id);
  });

  it('derives the MAC key: the signing key itself never keys the HMAC', () => {
    const id = mintSessionId();
    const withRawKey = createHmac('sha256', key).update(id).digest('base64url');
    expect(signer.sign(id).split('.')[1]).not.toBe(withRawKey);
    expect(signer.verify(`${id}.${withRawKey}`)).toBeNull();
  });

  it('is deterministic for one key, whatever its form (Buffer, base64, base64url, KeyObject)', () => {
    const id = mintSessionId();
    const expected = signer.sign(id);
    for (const form of [key.toString('base64'), key.toString('base64url'), createSecretKey(key), new Uint8Array(key)]) {
      expect(new CookieSigner(form).sign(id)).toBe(expected);
    }
  });

  it('refuses a value signed with another key (re-signed cookie)', () => {
    const id = mintSessionId();
    const other = new CookieSigner(randomKey());
    expect(other.verify(signer.sign(id))).toBeNull();
    expect(signer.verify(other.sign(id))).toBeNull();
  });

  it('refuses a tampered MAC, at every position', () => {
    const value = signer.sign(mintSessionId());
    const macStart = value.indexOf('.') + 1;
    for (let i = macStart; i < value.length; i++) expect(signer.verify(mutate(value, i))).toBeNull();
  });

  it('refuses a tampered id with the original MAC, at every position', () => {
    const value = signer.sign(mintSessionId());
    for (let i = 0; i < 32; i++) expect(signer.verify(mutate(value, i))).toBeNull();
  });

  it('refuses a MAC moved onto another id', () => {
    const a = signer.sign(mintSessionId());
    const b = signer.sign(mintSessionId());
    expect(signer.verify(`${a.split('.')[0]}.${b.split('.')[1]}`)).toBeNull();
  });

  it.each([
    ['a truncated MAC', (v: string) => v.slice(0, -1)],
    ['a MAC cut in half', (v: string) => v.slice(0, 33 + 21)],
    ['an empty MAC', (v: string) => v.slice(0, 33)],
    ['a MAC with an extra character', (v: string) => `${v}A`],
    ['a padded MAC', (v: string) => `${v}=`],
    ['a MAC with a stray character the lenient decoder would skip', (v: string) => `${v.slice(0, -1)}!${v.slice(-1)}`],
    ['a MAC spelled in standard base64', (v: string) => v.replace(/-/g, '+').replace(/_/g, '/') + (/[-_]/.test(v.slice(33)) ? '' : '+')],
    ['no dot', (v: string) => v.replace('.', '')],
    ['two dots', (v: string) => `${v}.x`],
    ['a truncated id', (v: string) => v.slice(1)],
    ['an id with a wildcard', (v: string) => `*${v.slice(1)}`],
    ['a 4 KiB value', (v: string) => v + 'A'.repeat(4096)],
  ])('refuses %s without throwing', (_label, forge) => {
    const value = signer.sign(mintSessionId());
    expect(() => signer.verify(forge(value))).not.toThrow();
    expect(signer.verify(forge(value))).toBeNull();
  });

  it.each([undefined, null, 42, {}, [], '', '.', 'x.y', `${'A'.repeat(32)}.`])('refuses %p', (input) => {
    expect(signer.verify(input)).toBeNull();
  });

  it('refuses to sign anything but a minted id', () => {
    for (const bad of ['', 'short', `${'A'.repeat(31)}*`, `${'A'.repeat(32)}.x`, 'a'.repeat(33)]) {
      expect(() => signer.sign(bad)).toThrow(InvalidIdentifierError);
    }
  });

  it('rejects a short or malformed signing key with a typed error', () => {
    expect(() => new CookieSigner(randomKey().subarray(0, 16))).toThrow(/signingKey.*32 bytes/);
    expect(() => new CookieSigner('not a key!')).toThrow(/signingKey/);
  });

  describe('constant-time comparison', () => {
    // The module object itself (an `import *` namespace would be a copy the source never calls).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeCrypto: typeof import('node:crypto') = require('node:crypto');
    let spy: jest.SpiedFunction<typeof nodeCrypto.timingSafeEqual>;
    beforeEach(() => {
      spy = jest.spyOn(nodeCrypto, 'timingSafeEqual');
    });
    afterEach(() => spy.mockRestore());

    it('compares equal-length MACs with timingSafeEqual, for a match and a mismatch', () => {
      const value = signer.sign(mintSessionId());
      expect(signer.verify(value)).not.toBeNull();
      expect(signer.verify(mutate(value, value.length - 5))).toBeNull();
      expect(spy).toHaveBeenCalledTimes(2);
      for (const [a, b] of spy.mock.calls) expect((a as Buffer).length).toBe((b as Buffer).length);
    });

    it('answers a length mismatch before comparing (timingSafeEqual would throw)', () => {
      const value = signer.sign(mintSessionId());
      expect(signer.verify(value.slice(0, -3))).toBeNull();
      expect(signer.verify(`${value}AAA`)).toBeNull();
      expect(spy).not.toHaveBeenCalled();
    });
  });

  it('no single-character change of a signed value verifies (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 75 }), fc.integer({ min: 1, max: 63 }), (index, shift) => {
        const value = signer.sign(mintSessionId());
        if (index === 32) return signer.verify(value.slice(0, 32) + '-' + value.slice(33)) === null;
        return signer.verify(mutate(value, index, shift)) === null;
      }),
      { numRuns: 500 },
    );
  });
});
