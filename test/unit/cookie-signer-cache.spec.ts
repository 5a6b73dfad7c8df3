import { randomBytes } from 'node:crypto';
import { CookieSigner, mintSessionId, VERIFIED_CACHE_SIZE } from '../../src/internal';
import { randomKey } from '../harness/valkey';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `value` with the character at `index` replaced by another base64url character. */
function mutate(value: string, index: number): string {
  const next = BASE64URL[(BASE64URL.indexOf(value[index]) + 1) % BASE64URL.length];
  return value.slice(0, index) + next + value.slice(index + 1);
}

/** A value verified through a large header slice, as the cookie parser hands it over. */
function sliceOfHeader(value: string): string {
  const header = `${'x'.repeat(4096)}; axess.sid=${value}; ${'y'.repeat(4096)}`;
  const start = header.indexOf('axess.sid=') + 'axess.sid='.length;
  return header.slice(start, start + value.length);
}

describe('CookieSigner verified-value cache (attack tests)', () => {
  it('a value verified before verifies again to the same id', () => {
    const signer = new CookieSigner(randomKey());
    const id = mintSessionId();
    const value = signer.sign(id);
    expect(signer.verify(sliceOfHeader(value))).toBe(id);
    expect(signer.verify(value)).toBe(id);
    expect(signer.verify(`${value}`)).toBe(id);
  });

  it('every one-character change of a verified (cached) value is refused', () => {
    const signer = new CookieSigner(randomKey());
    const value = signer.sign(mintSessionId());
    expect(signer.verify(value)).not.toBeNull();
    for (let i = 0; i < value.length; i++) {
      if (value[i] === '.') continue;
      expect(signer.verify(mutate(value, i))).toBeNull();
    }
    // Prefixes, extensions and padding of the cached value are other strings: refused too.
    expect(signer.verify(value.slice(0, -1))).toBeNull();
    expect(signer.verify(`${value}A`)).toBeNull();
    expect(signer.verify(`${value}=`)).toBeNull();
    expect(signer.verify(` ${value}`)).toBeNull();
  });

  it('a forged value stays refused however often it is presented (never cached)', () => {
    const signer = new CookieSigner(randomKey());
    const forged = `${mintSessionId()}.${randomBytes(32).toString('base64url')}`;
    for (let i = 0; i < 5; i++) expect(signer.verify(forged)).toBeNull();
  });

  it('a value cached by one signer means nothing to a signer with another key', () => {
    const a = new CookieSigner(randomKey());
    const b = new CookieSigner(randomKey());
    const value = a.sign(mintSessionId());
    expect(a.verify(value)).not.toBeNull();
    expect(b.verify(value)).toBeNull();
    expect(b.verify(value)).toBeNull();
  });

  it('stays correct past its bound: old values are verified afresh, forged ones still refused', () => {
    const signer = new CookieSigner(randomKey());
    const ids = Array.from({ length: VERIFIED_CACHE_SIZE * 3 + 7 }, () => mintSessionId());
    const values = ids.map((id) => signer.sign(id));
    values.forEach((value, i) => expect(signer.verify(value)).toBe(ids[i]));
    // The first ones have left the cache by now; they still verify, to their own ids.
    for (let i = 0; i < 50; i++) expect(signer.verify(values[i])).toBe(ids[i]);
    for (let i = 0; i < 50; i++) expect(signer.verify(mutate(values[i], 40))).toBeNull();
  });
});
