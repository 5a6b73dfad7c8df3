import { hkdfSync } from 'node:crypto';

/** The bytes of a key given as 64 hex characters or as base64 / base64url (the forms the module accepts). */
function keyBytes(key: string): Buffer {
  const trimmed = key.trim();
  if (/^[0-9A-Fa-f]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  return Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/**
 * A 32-byte key for one purpose of the sample, derived from its signing key with HKDF-SHA256.
 * `info` names the purpose: keys for different purposes are unrelated, and none equals the key
 * the module derives for session cookies (it uses its own label).
 */
export function deriveSampleKey(signingKey: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', keyBytes(signingKey), Buffer.alloc(0), info, 32));
}
