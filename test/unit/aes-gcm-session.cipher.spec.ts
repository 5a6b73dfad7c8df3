import { randomBytes } from 'node:crypto';
import { AesGcmSessionCipher, AxessOptionsError, mintSessionId, SessionStoreError } from '../../src/internal';

const NONCE = 12;
const TAG = 16;

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectDecryptError(fn: () => unknown): SessionStoreError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(SessionStoreError);
  expect((error as SessionStoreError).kind).toBe('decrypt');
  return error as SessionStoreError;
}

describe('AesGcmSessionCipher', () => {
  const key = randomBytes(32);
  const cipher = new AesGcmSessionCipher(key);
  const id = mintSessionId();
  const plaintext = Buffer.from('{"user":"alice","cart":[1,2,3]} Zoë 😀', 'utf8');

  describe('sealing and opening', () => {
    it('opens what it sealed for the same session', () => {
      const sealed = cipher.seal(id, plaintext);
      expect(cipher.open(id, sealed)).toEqual(plaintext);
    });

    it('lays the sealed bytes out as nonce || ciphertext || tag (28 bytes over the plaintext)', () => {
      const sealed = cipher.seal(id, plaintext);
      expect(sealed.length).toBe(plaintext.length + NONCE + TAG);
      expect(sealed.includes(plaintext)).toBe(false);
    });

    it('uses a fresh random nonce for every seal, so equal plaintexts seal differently', () => {
      const a = cipher.seal(id, plaintext);
      const b = cipher.seal(id, plaintext);
      expect(a.subarray(0, NONCE).equals(b.subarray(0, NONCE))).toBe(false);
      expect(a.equals(b)).toBe(false);
    });

    it('round-trips an empty plaintext', () => {
      expect(cipher.open(id, cipher.seal(id, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
    });
  });

  describe('failures are typed decrypt errors', () => {
    it('a wrong key fails with kind decrypt and the crypto error as cause', () => {
      const sealed = cipher.seal(id, plaintext);
      const error = expectDecryptError(() => new AesGcmSessionCipher(randomBytes(32)).open(id, sealed));
      // node:crypto errors come from another realm than jest's, so check the shape, not the class.
      expect((error.cause as Error | undefined)?.message).toMatch(/authenticate/);
      expect(error.message).not.toContain(plaintext.toString('utf8'));
    });

    it('a blob sealed for session A does not open for session B (the id is associated data, I5)', () => {
      const sealed = cipher.seal(id, plaintext);
      expectDecryptError(() => cipher.open(mintSessionId(), sealed));
    });

    it('a blob sealed for a session id does not open for an id one character away', () => {
      const sealed = cipher.seal(id, plaintext);
      const neighbour = id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A');
      expectDecryptError(() => cipher.open(neighbour, sealed));
    });

    const sealedLength = plaintext.length + NONCE + TAG;
    const positions: Array<[string, number]> = [
      ['first nonce byte', 0],
      ['last nonce byte', NONCE - 1],
      ['first ciphertext byte', NONCE],
      ['middle ciphertext byte', NONCE + Math.floor(plaintext.length / 2)],
      ['last ciphertext byte', NONCE + plaintext.length - 1],
      ['first tag byte', sealedLength - TAG],
      ['last tag byte', sealedLength - 1],
    ];
    it.each(positions)('flipping one bit of the %s fails', (_label, position) => {
      const sealed = cipher.seal(id, plaintext);
      expect(sealed.length).toBe(sealedLength);
      const tampered = Buffer.from(sealed);
      tampered[position] ^= 0x01;
      expectDecryptError(() => cipher.open(id, tampered));
    });

    it('every single-byte change anywhere in the blob fails', () => {
      const sealed = cipher.seal(id, Buffer.from('short'));
      for (let i = 0; i < sealed.length; i++) {
        const tampered = Buffer.from(sealed);
        tampered[i] ^= 0x80;
        expectDecryptError(() => cipher.open(id, tampered));
      }
    });

    it('a blob truncated by one byte fails', () => {
      const sealed = cipher.seal(id, plaintext);
      expectDecryptError(() => cipher.open(id, sealed.subarray(0, sealed.length - 1)));
    });

    it('a blob with a byte appended fails', () => {
      const sealed = cipher.seal(id, plaintext);
      expectDecryptError(() => cipher.open(id, Buffer.concat([sealed, Buffer.from([0])])));
    });

    it.each([
      ['empty', 0],
      ['12-byte (a nonce alone)', 12],
      ['27-byte (one short of nonce + tag)', 27],
      ['28-byte random (nonce + tag, no body)', 28],
    ])('a %s blob fails', (_label, length) => {
      expectDecryptError(() => cipher.open(id, randomBytes(length)));
    });

    it('a 28-byte blob cut from a real seal (nonce + tag of an empty plaintext, body removed) fails', () => {
      const sealed = cipher.seal(id, plaintext);
      const spliced = Buffer.concat([sealed.subarray(0, NONCE), sealed.subarray(sealed.length - TAG)]);
      expectDecryptError(() => cipher.open(id, spliced));
    });
  });

  describe('key rotation', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const rotating = new AesGcmSessionCipher(newKey, [oldKey]);

    it('opens a blob sealed with a previous key', () => {
      const sealedWithOld = new AesGcmSessionCipher(oldKey).seal(id, plaintext);
      expect(rotating.open(id, sealedWithOld)).toEqual(plaintext);
    });

    it('always seals with the current key: a cipher holding only the current key opens a fresh seal', () => {
      const fresh = rotating.seal(id, plaintext);
      expect(new AesGcmSessionCipher(newKey).open(id, fresh)).toEqual(plaintext);
      expectDecryptError(() => new AesGcmSessionCipher(oldKey).open(id, fresh));
    });

    it('tries every previous key in the ring', () => {
      const oldest = randomBytes(32);
      const ring = new AesGcmSessionCipher(newKey, [oldKey, oldest]);
      expect(ring.open(id, new AesGcmSessionCipher(oldest).seal(id, plaintext))).toEqual(plaintext);
    });

    it('still refuses a key that is in no slot of the ring', () => {
      const sealed = new AesGcmSessionCipher(randomBytes(32)).seal(id, plaintext);
      expectDecryptError(() => rotating.open(id, sealed));
    });
  });

  describe('key parsing', () => {
    const raw = randomBytes(32);

    it.each([
      ['a 32-byte Buffer', raw],
      ['a 32-byte Uint8Array', new Uint8Array(raw)],
      ['base64 of 32 bytes', raw.toString('base64')],
      ['base64 of 32 bytes without padding', raw.toString('base64').replace(/=+$/, '')],
      ['base64url of 32 bytes', raw.toString('base64url')],
      ['base64 of 32 bytes with a trailing newline (as `openssl rand -base64 32` prints it)', `${raw.toString('base64')}\n`],
      ['64 lowercase hex characters (as `openssl rand -hex 32` prints them, newline included)', `${raw.toString('hex')}\n`],
      ['64 uppercase hex characters', raw.toString('hex').toUpperCase()],
    ])('accepts %s, and it is the same key', (_label, input) => {
      const sealed = new AesGcmSessionCipher(input).seal(id, plaintext);
      expect(new AesGcmSessionCipher(raw).open(id, sealed)).toEqual(plaintext);
    });

    const secret31 = randomBytes(31);
    const secret33 = randomBytes(33);
    const bad: Array<[string, unknown, string[]]> = [
      ['a 31-byte Buffer', secret31, [secret31.toString('base64'), secret31.toString('hex')]],
      ['a 33-byte Buffer', secret33, [secret33.toString('base64'), secret33.toString('hex')]],
      ['base64 of 31 bytes', secret31.toString('base64'), [secret31.toString('base64')]],
      ['base64url of 33 bytes', secret33.toString('base64url'), [secret33.toString('base64url')]],
      ['hex of 31 bytes (62 characters)', secret31.toString('hex'), [secret31.toString('hex')]],
      ['hex of 33 bytes (66 characters: read as base64, 49 bytes)', secret33.toString('hex'), [secret33.toString('hex')]],
      ['a non-base64 string', 'correct horse battery staple!!', ['correct horse battery staple']],
      ['a string with a character outside base64', `${raw.toString('base64').slice(0, 40)}$%&`, [raw.toString('base64').slice(0, 40)]],
      ['an empty string', '', []],
      ['a number', 12345678901234567890, ['12345678901234567890', '12345678901234567000']],
      ['undefined', undefined, []],
      ['null', null, []],
      ['an array of 32 numbers', [...raw], [raw.toString('base64')]],
    ];

    it.each(bad)(
      'refuses %s as the current key with an AxessOptionsError naming the option, without echoing the value',
      (_label, input, secrets) => {
        const error = thrown(() => new AesGcmSessionCipher(input as Buffer));
        expect(error).toBeInstanceOf(AxessOptionsError);
        const { option, message } = error as AxessOptionsError;
        expect(option).toBe('encryptionKey');
        expect(message).toContain('encryptionKey');
        expect(message).toContain('hex');
        for (const secret of secrets) {
          expect(message).not.toContain(secret);
          expect(message).not.toContain(secret.slice(0, 12));
        }
      },
    );

    it('names the previous key slot that is wrong', () => {
      const error = thrown(() => new AesGcmSessionCipher(raw, [randomBytes(32), randomBytes(16)]));
      expect(error).toBeInstanceOf(AxessOptionsError);
      expect((error as AxessOptionsError).option).toBe('previousEncryptionKeys[1]');
    });

    it('refuses previous keys given as a single value instead of a list', () => {
      const error = thrown(() => new AesGcmSessionCipher(raw, raw.toString('base64') as unknown as string[]));
      expect(error).toBeInstanceOf(AxessOptionsError);
      expect((error as AxessOptionsError).option).toBe('previousEncryptionKeys');
      expect((error as AxessOptionsError).message).not.toContain(raw.toString('base64').slice(0, 12));
    });
  });
});
