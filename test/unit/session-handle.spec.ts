import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { AxessOptionsError, CookieSigner, InvalidIdentifierError, mintSessionId, SessionHandles } from '../../src/internal';
import { randomKey } from '../harness/valkey';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `value` with the character at `index` replaced by a different base64url character. */
function mutate(value: string, index: number, shift = 1): string {
  const next = BASE64URL[(BASE64URL.indexOf(value[index]) + shift) % BASE64URL.length];
  return value.slice(0, index) + next + value.slice(index + 1);
}

describe('SessionHandles', () => {
  const key = randomKey();
  const handles = new SessionHandles(key);

  it('gives 128 bits in unpadded base64url, which neither is nor contains the id', () => {
    const id = mintSessionId();
    const handle = handles.of(id);
    expect(handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(handle, 'base64url')).toHaveLength(16);
    expect(handle).not.toBe(id);
    expect(id).not.toContain(handle);
    expect(handle).not.toContain(id.slice(0, 8));
  });

  it('is keyed by its own derived key: not an HMAC under the signing key itself, nor the cookie MAC', () => {
    const id = mintSessionId();
    const handle = handles.of(id);
    const underSigningKey = createHmac('sha256', key).update(id).digest().subarray(0, 16).toString('base64url');
    expect(handle).not.toBe(underSigningKey);
    const cookieMac = new CookieSigner(key).sign(id).split('.')[1];
    expect(cookieMac.startsWith(handle)).toBe(false);
    expect(Buffer.from(cookieMac, 'base64url').subarray(0, 16).toString('base64url')).not.toBe(handle);
  });

  it('is stable: the same id gives the same handle, again and on another instance with the same key', () => {
    const id = mintSessionId();
    expect(handles.of(id)).toBe(handles.of(id));
    expect(new SessionHandles(key).of(id)).toBe(handles.of(id));
  });

  it('differs per key and per id', () => {
    const id = mintSessionId();
    expect(new SessionHandles(randomKey()).of(id)).not.toBe(handles.of(id));
    const seen = new Set(Array.from({ length: 1000 }, () => handles.of(mintSessionId())));
    expect(seen.size).toBe(1000);
  });

  it('refuses to make a handle for anything that is not a minted id', () => {
    for (const bad of ['', 'short', '*', `${mintSessionId()}x`, '{a}:sess:*'.padEnd(32, 'x')]) {
      expect(() => handles.of(bad)).toThrow(InvalidIdentifierError);
    }
  });

  describe('find', () => {
    const ids = [mintSessionId(), mintSessionId(), mintSessionId()];

    it('resolves a handle to its id among the candidates', () => {
      for (const id of ids) expect(handles.find(handles.of(id), ids)).toBe(id);
    });

    it('finds nothing for the handle of a session outside the candidates (another user’s)', () => {
      const stranger = mintSessionId();
      expect(handles.find(handles.of(stranger), ids)).toBeUndefined();
    });

    it('finds nothing for a handle made under another key', () => {
      expect(handles.find(new SessionHandles(randomKey()).of(ids[0]), ids)).toBeUndefined();
    });

    it('finds nothing for the raw id given as a handle', () => {
      expect(handles.find(ids[0], ids)).toBeUndefined();
    });

    it('refuses every one-character tampering of a real handle', () => {
      const handle = handles.of(ids[1]);
      for (let i = 0; i < handle.length; i++) {
        for (const shift of [1, 2, 32]) expect(handles.find(mutate(handle, i, shift), ids)).toBeUndefined();
      }
    });

    it('refuses another spelling of the same bytes (a set pad bit, padding, standard base64)', () => {
      const handle = handles.of(ids[0]);
      const bytes = Buffer.from(handle, 'base64url');
      // The last character carries 2 bits and 4 pad bits: other characters decode to the same bytes.
      const sameBytes = BASE64URL.split('')
        .map((c) => handle.slice(0, -1) + c)
        .filter((h) => h !== handle && Buffer.from(h, 'base64url').equals(bytes));
      expect(sameBytes.length).toBeGreaterThan(0);
      for (const spelling of [...sameBytes, `${handle}==`, bytes.toString('base64')]) {
        if (spelling === handle) continue;
        expect(handles.find(spelling, ids)).toBeUndefined();
      }
    });

    it('never throws for bad input: non-strings, wrong lengths, huge values', () => {
      fc.assert(
        fc.property(fc.anything(), (value) => {
          expect(handles.find(value, ids)).toBeUndefined();
        }),
      );
      for (const value of ['', 'A'.repeat(21), 'A'.repeat(23), 'A'.repeat(1_000_000), '*'.repeat(22), '\u0000'.repeat(22)]) {
        expect(handles.find(value, ids)).toBeUndefined();
      }
    });

    it('skips candidates that are not session ids', () => {
      expect(handles.find(handles.of(ids[0]), ['*', '', ...ids])).toBe(ids[0]);
    });

    it('looks at every candidate, wherever the match is and when there is none (no early exit to time)', () => {
      for (const handle of [handles.of(ids[0]), handles.of(ids[2]), handles.of(mintSessionId())]) {
        const read = new Set<string>();
        const watched = new Proxy(ids, {
          get: (target, property, receiver) => {
            if (typeof property === 'string' && /^\d+$/.test(property)) read.add(property);
            return Reflect.get(target, property, receiver) as unknown;
          },
        });
        handles.find(handle, watched);
        expect([...read].sort()).toEqual(['0', '1', '2']);
      }
    });
  });

  describe('without a signing key', () => {
    const none = new SessionHandles(undefined);

    it('of, find and assertConfigured throw the AxessOptionsError naming signingKey', () => {
      for (const call of [() => none.of(mintSessionId()), () => none.find('A'.repeat(22), []), () => none.assertConfigured()]) {
        expect(call).toThrow(AxessOptionsError);
        expect(call).toThrow(/signingKey/);
      }
    });
  });

  it('a signing key that is not 32 bytes is an AxessOptionsError naming signingKey', () => {
    expect(() => new SessionHandles('too-short')).toThrow(AxessOptionsError);
  });
});
