import { createHmac, type KeyObject } from 'node:crypto';

/** HMAC label: a fingerprint says which key is in use and nothing about the key itself. */
const FINGERPRINT_LABEL = 'axess/nestjs-session v1 key-ring fingerprint';

/**
 * A short public name for a secret key: HMAC-SHA256 keyed by it over a fixed label, 128 bits in
 * hex. Equal keys give equal fingerprints; the key cannot be recovered from one.
 */
export function keyFingerprint(key: KeyObject): string {
  return createHmac('sha256', key).update(FINGERPRINT_LABEL).digest('hex').slice(0, 32);
}
