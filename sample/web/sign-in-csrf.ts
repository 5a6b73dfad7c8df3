import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies, serialize } from 'cookie';

/**
 * The sign-in form's CSRF cookie. `__Host-`: browsers take it only from this very host, over a
 * secure context (https, or http://localhost), with Path=/ and no Domain, so a sibling subdomain
 * cannot plant one of its own.
 */
export const SIGN_IN_CSRF_COOKIE = '__Host-axess.signin';

/** How long a sign-in form (and its cookie) stays usable: 30 minutes. */
export const SIGN_IN_CSRF_TTL_MS = 30 * 60_000;

/** HKDF label of the token key (see `deriveSampleKey`). */
export const SIGN_IN_CSRF_KEY_INFO = 'axess sample v1 sign-in form CSRF HMAC-SHA256';

/** 32 random bytes in base64url. */
const NONCE = /^[A-Za-z0-9_-]{43}$/;
/** `expiry.mac`: expiry in epoch seconds, mac = 32 bytes in base64url. */
const TOKEN = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** A token for the form and the Set-Cookie header that must go out with it. */
export interface SignInCsrfToken {
  token: string;
  setCookie: string;
}

/**
 * Stateless CSRF protection of the sign-in form (against login CSRF: an attacker signing the
 * victim into the attacker's account), so that an anonymous page load stores nothing in Valkey.
 *
 * A signed double-submit token: the browser holds a random nonce in a short-lived HttpOnly
 * cookie; the form carries `expiry.HMAC(k, nonce ‖ expiry)`, where `k` is derived from the
 * sample's signing key. A post is accepted only with the cookie, a token minted for that very
 * cookie, and an expiry still ahead; the MAC is compared in constant time. Another visitor's
 * token does not match this browser's nonce, a forged one needs `k`, and an old one expires.
 */
export class SignInCsrf {
  constructor(
    private readonly key: Buffer,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * A token for a sign-in form shown to the browser that sent `cookieHeader`. Its nonce is kept
   * when it has one (other open tabs' forms keep working), else a new one is minted; the cookie
   * is set again either way, so it lives as long as the newest token.
   */
  issue(cookieHeader: string | undefined): SignInCsrfToken {
    const nonce = nonceIn(cookieHeader) ?? randomBytes(32).toString('base64url');
    const expiry = Math.floor((this.nowMs() + SIGN_IN_CSRF_TTL_MS) / 1000);
    return {
      token: `${expiry}.${this.mac(nonce, expiry).toString('base64url')}`,
      setCookie: serialize(SIGN_IN_CSRF_COOKIE, nonce, {
        httpOnly: true,
        secure: true,
        sameSite: 'lax',
        path: '/',
        maxAge: SIGN_IN_CSRF_TTL_MS / 1000,
      }),
    };
  }

  /** True when `submitted` is an unexpired token minted for the nonce in `cookieHeader`. */
  verify(cookieHeader: string | undefined, submitted: unknown): boolean {
    const nonce = nonceIn(cookieHeader);
    if (nonce === undefined || typeof submitted !== 'string') return false;
    const match = TOKEN.exec(submitted);
    if (!match) return false;
    const expiry = Number(match[1]);
    const now = this.nowMs();
    if (expiry * 1000 < now || expiry * 1000 > now + SIGN_IN_CSRF_TTL_MS + 1000) return false;
    // Both are 32 bytes (the pattern fixes the length, which is no secret).
    return timingSafeEqual(Buffer.from(match[2], 'base64url'), this.mac(nonce, expiry));
  }

  /** The Set-Cookie header that removes the cookie (after a sign-in it has no use). */
  clearCookie(): string {
    return serialize(SIGN_IN_CSRF_COOKIE, '', { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 0 });
  }

  private mac(nonce: string, expiry: number): Buffer {
    return createHmac('sha256', this.key).update(`sign-in:${nonce}:${expiry}`, 'utf8').digest();
  }
}

/** The well-formed nonce of the request's sign-in cookie, if any. */
function nonceIn(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  const value = parseCookies(cookieHeader)[SIGN_IN_CSRF_COOKIE];
  return value !== undefined && NONCE.test(value) ? value : undefined;
}
