import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

/**
 * A 32-byte HMAC key derived from a 32-byte master key with HKDF-SHA256 under `info`: each use of
 * one master key (cookie signatures, session handles) gets its own key, and learning one derived
 * key tells nothing of the master or of the others.
 */
export function deriveHmacKey(master: KeyObject, info: string): KeyObject {
  // Empty salt: the input is already a uniformly random key (RFC 5869 §3.1).
  return createSecretKey(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32)));
}
