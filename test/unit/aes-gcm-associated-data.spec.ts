import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AesGcmSessionCipher, mintSessionId, SessionStoreError } from '../../src/internal';

// The documented layout: nonce(12) || ciphertext || tag(16), AAD = UTF-8 of `axess-session:v1:` + id.
const AAD_PREFIX = 'axess-session:v1:';

function sealByHand(key: Buffer, id: string, plaintext: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(AAD_PREFIX + id, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

function openByHand(key: Buffer, id: string, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(AAD_PREFIX + id, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}

function expectDecryptFailure(fn: () => unknown): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SessionStoreError);
  expect((error as SessionStoreError).kind).toBe('decrypt');
}

describe('AesGcmSessionCipher associated data and nonces', () => {
  const key = randomBytes(32);
  const cipher = new AesGcmSessionCipher(key);
  const plaintext = Buffer.from('a session record, more or less', 'utf8');

  it('opens a record sealed by hand with the documented layout and associated data', () => {
    const id = mintSessionId();
    expect(cipher.open(id, sealByHand(key, id, plaintext))).toEqual(plaintext);
  });

  it('seals records that open by hand with the documented layout and associated data', () => {
    const id = mintSessionId();
    expect(openByHand(key, id, cipher.seal(id, plaintext))).toEqual(plaintext);
  });

  it.each([
    ['a 64-character id (the largest built in the reused buffer)', 'x'.repeat(64)],
    ['a 65-character id (built per call)', 'x'.repeat(65)],
    ['a long id', 'y'.repeat(1_000)],
    ['an id of multi-byte characters', 'é'.repeat(64)],
    ['an id with astral characters', '😀'.repeat(32)],
    ['an empty id', ''],
  ])('binds %s: it round-trips, matches the hand-built associated data, and does not open under a neighbour', (_label, id) => {
    const sealed = cipher.seal(id, plaintext);
    expect(cipher.open(id, sealed)).toEqual(plaintext);
    expect(openByHand(key, id, sealed)).toEqual(plaintext);
    expectDecryptFailure(() => cipher.open(`${id}z`, sealed));
    if (id.length > 0) expectDecryptFailure(() => cipher.open(id.slice(0, -1), sealed));
  });

  it('a long id sealed after a short one leaves no trace of it: interleaved seals open only under their own id', () => {
    const ids = [mintSessionId(), 'é'.repeat(60), 'a', mintSessionId(), 'z'.repeat(64)];
    const sealed = ids.map((id) => cipher.seal(id, Buffer.from(id)));
    [...ids.keys()].reverse().forEach((i) => {
      expect(cipher.open(ids[i], sealed[i]).toString()).toBe(ids[i]);
      ids.forEach((other, j) => {
        if (j !== i) expectDecryptFailure(() => cipher.open(other, sealed[i]));
      });
    });
  });

  it('uses a distinct nonce for each of many seals (well past one batch of pooled nonces)', () => {
    const id = mintSessionId();
    const nonces = new Set<string>();
    for (let i = 0; i < 2_000; i++) nonces.add(cipher.seal(id, plaintext).subarray(0, 12).toString('hex'));
    expect(nonces.size).toBe(2_000);
  });

  it('two cipher instances with the same key never share nonces', () => {
    const other = new AesGcmSessionCipher(key);
    const id = mintSessionId();
    const nonces = new Set<string>();
    for (let i = 0; i < 500; i++) {
      nonces.add(cipher.seal(id, plaintext).subarray(0, 12).toString('hex'));
      nonces.add(other.seal(id, plaintext).subarray(0, 12).toString('hex'));
    }
    expect(nonces.size).toBe(1_000);
  });
});
