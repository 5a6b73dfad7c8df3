import { createSecretKey, hkdfSync, KeyObject } from 'node:crypto';
import { importSecretKey, type SecretKeyInput } from './secret-key.js';

/**
 * A 32-byte HMAC key derived from the `signingKey` with HKDF-SHA256 under `info`: each use of the
 * key (cookie signatures, session handles) gets its own, and one tells nothing of the others.
 */
export function deriveHmacKey(signingKey: KeyObject | SecretKeyInput, info: string): KeyObject {
  const master = signingKey instanceof KeyObject ? signingKey : importSecretKey('signingKey', signingKey);
  // Empty salt: the input is already a uniformly random key (RFC 5869 §3.1).
  return createSecretKey(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32)));
}
