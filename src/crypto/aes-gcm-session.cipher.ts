import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { ValkeyStoreError } from '../errors/valkey-store.error.js';
import { importSecretKey, type SecretKeyInput } from './secret-key.js';
import { SessionCipher } from './session-cipher.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bumped if the sealed layout ever changes: part of the associated data, so old blobs fail closed. */
const FORMAT_VERSION = 1;
const AAD_PREFIX = `axess-session:v${FORMAT_VERSION}:`;

/**
 * AES-256-GCM with a random 12-byte nonce; sealed bytes are `nonce || ciphertext || tag`.
 * The associated data is the format version and the session id (I5: a ciphertext only opens
 * under the key it was written to). Keys: one current, any number of previous ones for rotation.
 */
export class AesGcmSessionCipher extends SessionCipher {
  readonly encrypts = true;
  private readonly ring: readonly KeyObject[];

  /**
   * @param currentKey 32 bytes (Buffer or base64/base64url); every seal uses it.
   * @param previousKeys keys that still open old records until they are re-saved.
   */
  constructor(currentKey: SecretKeyInput, previousKeys: readonly SecretKeyInput[] = []) {
    super();
    // A single key passed where the list belongs would otherwise be iterated character by character.
    if (!Array.isArray(previousKeys)) {
      throw new AxessOptionsError('previousEncryptionKeys', 'must be a list of keys (an array), oldest last.');
    }
    this.ring = [
      importSecretKey('encryptionKey', currentKey),
      ...previousKeys.map((key, i) => importSecretKey(`previousEncryptionKeys[${i}]`, key)),
    ];
  }

  seal(sessionId: string, plaintext: Buffer): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.ring[0], nonce);
    cipher.setAAD(associatedData(sessionId));
    const body = cipher.update(plaintext);
    const final = cipher.final();
    return Buffer.concat([nonce, body, final, cipher.getAuthTag()]);
  }

  open(sessionId: string, sealed: Buffer): Buffer {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) {
      throw new ValkeyStoreError('decrypt', `Sealed session record is too short (${sealed.length} bytes).`);
    }
    const nonce = sealed.subarray(0, NONCE_BYTES);
    const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    const aad = associatedData(sessionId);
    let last: unknown;
    for (const key of this.ring) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad);
        decipher.setAuthTag(tag);
        const head = decipher.update(body);
        return Buffer.concat([head, decipher.final()]);
      } catch (error) {
        last = error;
      }
    }
    throw new ValkeyStoreError('decrypt', 'Session record does not authenticate under any configured key.', { cause: last });
  }
}

function associatedData(sessionId: string): Buffer {
  return Buffer.from(AAD_PREFIX + sessionId, 'utf8');
}
