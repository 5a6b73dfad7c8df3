import { createHmac, createSecretKey, hkdfSync, KeyObject, timingSafeEqual } from 'node:crypto';
import { importSecretKey, type SecretKeyInput } from '../crypto/secret-key.js';
import { isSessionId } from '../crypto/session-id.js';
import { assertSessionId } from '../store/key-layout.js';

/** HKDF `info` label: the derived key signs session cookies and nothing else. */
const COOKIE_KEY_INFO = 'axess/nestjs-session v1 cookie-signature HMAC-SHA256';
/** Length of the derived HMAC key and of the MAC, in bytes. */
const MAC_BYTES = 32;
/** Longer values are refused before any work (a signed value is 76 characters). */
const MAX_VALUE_LENGTH = 256;

/**
 * Signs and verifies session cookie values: `${id}.${base64url(HMAC-SHA256(cookieKey, id))}`.
 * The cookie key is derived once from the 32-byte signing key with HKDF-SHA256, so the signing
 * key itself never keys an HMAC and could serve other purposes under other labels.
 */
export class CookieSigner {
  private readonly cookieKey: KeyObject;

  constructor(signingKey: KeyObject | SecretKeyInput) {
    const master = signingKey instanceof KeyObject ? signingKey : importSecretKey('signingKey', signingKey);
    // Empty salt: the input is already a uniformly random key (RFC 5869 §3.1).
    const derived = hkdfSync('sha256', master, Buffer.alloc(0), COOKIE_KEY_INFO, MAC_BYTES);
    this.cookieKey = createSecretKey(Buffer.from(derived));
  }

  /** The cookie value for `id`; throws `InvalidIdentifierError` for anything not a minted id. */
  sign(id: string): string {
    assertSessionId(id);
    return `${id}.${this.mac(id)}`;
  }

  /**
   * The session id carried by `value` if its signature is ours, else `null` (never throws).
   * The MAC is compared as its canonical base64url text, so no other spelling of the same bytes
   * (padding, stray characters the lenient decoder would skip) is accepted.
   */
  verify(value: unknown): string | null {
    if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH) return null;
    const dot = value.indexOf('.');
    if (dot < 0 || dot !== value.lastIndexOf('.')) return null;
    const id = value.slice(0, dot);
    if (!isSessionId(id)) return null;
    const given = Buffer.from(value.slice(dot + 1), 'latin1');
    const expected = Buffer.from(this.mac(id), 'latin1');
    // timingSafeEqual throws on unequal lengths: check first, the length is not a secret.
    if (given.length !== expected.length) return null;
    return timingSafeEqual(given, expected) ? id : null;
  }

  private mac(id: string): string {
    return createHmac('sha256', this.cookieKey).update(id, 'utf8').digest('base64url');
  }
}
