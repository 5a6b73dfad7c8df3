import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { deriveHmacKey } from '../crypto/derived-key.js';
import type { SecretKeyInput } from '../crypto/secret-key.js';
import { assertSessionId, isSessionId } from '../crypto/session-id.js';

/** HKDF `info` label: the derived key signs session cookies and nothing else. */
const COOKIE_KEY_INFO = 'axess/nestjs-session v1 cookie-signature HMAC-SHA256';
/** Longer values are refused before any work (a signed value is 76 characters). */
const MAX_VALUE_LENGTH = 256;
/** A MAC as `sign` writes it: 32 bytes in unpadded base64url. */
const MAC_TEXT = /^[A-Za-z0-9_-]{43}$/;
/** Verified values remembered per generation; at most twice this many are kept. */
export const VERIFIED_CACHE_SIZE = 1024;

/**
 * Signs and verifies session cookie values: `${id}.${base64url(HMAC-SHA256(cookieKey, id))}`.
 * The cookie key is derived once from the 32-byte signing key with HKDF-SHA256, so the signing
 * key itself never keys an HMAC and could serve other purposes under other labels.
 */
export class CookieSigner {
  private readonly cookieKey: KeyObject;
  /**
   * Values this signer verified, mapped to their id: a returning cookie skips the HMAC (see
   * bench/RESULTS.md). Safe: only verified values go in under a key that never changes; a hit
   * needs the exact signed value (the Map's seeded hash reveals nothing of near misses); the id
   * must still name a live record; two generations of `VERIFIED_CACHE_SIZE`, never fed by forgeries.
   */
  private recent = new Map<string, string>();
  private older = new Map<string, string>();

  constructor(signingKey: KeyObject | SecretKeyInput) {
    this.cookieKey = deriveHmacKey(signingKey, COOKIE_KEY_INFO);
  }

  /** The cookie value for `id`; throws `InvalidIdentifierError` for anything not a minted id. */
  sign(id: string): string {
    assertSessionId(id);
    return `${id}.${this.mac(id)}`;
  }

  /** The session id in `value` if its signature is ours, else `null`; only the canonical base64url MAC text is accepted. */
  verify(value: unknown): string | null {
    if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH) return null;
    const cached = this.recent.get(value);
    if (cached !== undefined) return cached;
    const id = this.check(value);
    if (id !== null) this.remember(value, id);
    return id;
  }

  /** Why `verify` refused `value`: `bad-signature` for the shape of a signed id, else `malformed` (no cryptographic work). */
  rejection(value: unknown): 'malformed' | 'bad-signature' {
    if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH) return 'malformed';
    const dot = value.indexOf('.');
    if (dot < 0 || dot !== value.lastIndexOf('.') || !isSessionId(value.slice(0, dot))) return 'malformed';
    return MAC_TEXT.test(value.slice(dot + 1)) ? 'bad-signature' : 'malformed';
  }

  private check(value: string): string | null {
    const promoted = this.older.get(value);
    if (promoted !== undefined) return promoted;
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

  private remember(value: string, id: string): void {
    if (this.recent.size >= VERIFIED_CACHE_SIZE) {
      // The older generation is dropped whole: bounded memory without per-hit bookkeeping.
      this.older = this.recent;
      this.recent = new Map();
    }
    // An own copy: `value` may be a slice of a whole Cookie header the entry would keep alive.
    const key = Buffer.from(value, 'latin1').toString('latin1');
    this.recent.set(key, key.slice(0, id.length));
  }

  private mac(id: string): string {
    return createHmac('sha256', this.cookieKey).update(id, 'utf8').digest('base64url');
  }
}
