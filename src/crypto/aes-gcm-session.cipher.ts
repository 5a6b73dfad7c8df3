import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import { keyFingerprint } from './key-fingerprint.js';
import { NoncePool } from './nonce-pool.js';
import { importSecretKey, type SecretKeyInput } from './secret-key.js';
import { SessionCipher } from './session-cipher.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bumped if the sealed layout ever changes: part of the associated data, so old blobs fail closed. */
const FORMAT_VERSION = 1;
const AAD_PREFIX = `axess-session:v${FORMAT_VERSION}:`;
/** Session ids up to this many UTF-16 units get their associated data built in a reused buffer. */
const AAD_SCRATCH_ID_UNITS = 64;

/**
 * AES-256-GCM with a random 12-byte nonce; sealed bytes are `nonce || ciphertext || tag`.
 * The associated data is the format version and the session id (I5 in docs/architecture.md: a ciphertext only opens
 * under the key it was written to). Keys: one current, any number of previous ones for rotation.
 */
export class AesGcmSessionCipher extends SessionCipher {
  readonly encrypts = true;
  private readonly ring: readonly KeyObject[];
  private readonly nonces = new NoncePool(NONCE_BYTES);
  /** `AAD_PREFIX` followed by room for the id; `setAAD` consumes it before the call returns. */
  private readonly aadScratch = Buffer.alloc(Buffer.byteLength(AAD_PREFIX) + AAD_SCRATCH_ID_UNITS * 3);
  private readonly aadPrefixBytes = this.aadScratch.write(AAD_PREFIX, 'utf8');

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

  /** The fingerprints of the key ring, current key first. */
  override keyFingerprints(): string[] {
    return this.ring.map(keyFingerprint);
  }

  seal(sessionId: string, plaintext: Buffer): Buffer {
    const nonce = this.nonces.next();
    const cipher = createCipheriv('aes-256-gcm', this.ring[0], nonce);
    cipher.setAAD(this.associatedData(sessionId));
    const body = cipher.update(plaintext);
    // GCM is a stream mode: final() yields no bytes, only completes the tag.
    const final = cipher.final();
    const tag = cipher.getAuthTag();
    return Buffer.concat(final.length === 0 ? [nonce, body, tag] : [nonce, body, final, tag]);
  }

  open(sessionId: string, sealed: Buffer): Buffer {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) {
      throw new SessionStoreError('decrypt', `Sealed session record is too short (${sealed.length} bytes).`);
    }
    const nonce = sealed.subarray(0, NONCE_BYTES);
    const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    let last: unknown;
    for (const key of this.ring) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
        decipher.setAAD(this.associatedData(sessionId));
        decipher.setAuthTag(tag);
        const head = decipher.update(body);
        // final() authenticates (throws on a bad tag) and, in GCM, yields no further bytes.
        const final = decipher.final();
        return final.length === 0 ? head : Buffer.concat([head, final]);
      } catch (error) {
        last = error;
      }
    }
    throw new SessionStoreError('decrypt', 'Session record does not authenticate under any configured key.', { cause: last });
  }

  /**
   * `AAD_PREFIX + sessionId` as UTF-8. Usually a view into a reused buffer: safe because
   * `setAAD` feeds it to GCM at once and nothing keeps the view.
   */
  private associatedData(sessionId: string): Buffer {
    if (sessionId.length > AAD_SCRATCH_ID_UNITS) return Buffer.from(AAD_PREFIX + sessionId, 'utf8');
    const end = this.aadPrefixBytes + this.aadScratch.write(sessionId, this.aadPrefixBytes, 'utf8');
    return this.aadScratch.subarray(0, end);
  }
}
