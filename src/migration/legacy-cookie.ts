import { parseCookie, stringifySetCookie } from 'cookie';
import { unsign } from 'cookie-signature';
import type { IncomingMessage } from 'node:http';
import { cameOverTls, MAX_COOKIE_HEADER_BYTES } from '../http/session-cookie.js';
import { COOKIE_DOMAIN, COOKIE_PATH } from '../http/session-cookie.options.js';
import type { LegacySessionSettings } from './legacy-session.options.js';

/**
 * What an id of express-session (uid-safe: 24 random bytes, base64url) or @fastify/session (the
 * same) looks like, with room for an app's own `genid` of that alphabet (a UUID fits). A verified
 * id of any other shape is not used: the id becomes part of a key, and no separator, wildcard,
 * hash tag or control character may ride in on it, even signed by a leaked old secret.
 */
const LEGACY_ID = /^[A-Za-z0-9_-]{16,128}$/;

/** Where the legacy cookie was set, as the legacy record remembers it (its `cookie` object). */
export interface LegacyCookieScope {
  path?: unknown;
  domain?: unknown;
}

/**
 * The cookie of the session library being replaced: found with a header check, read with the
 * `cookie` package, verified with `cookie-signature` (the package express-session signs with;
 * @fastify/cookie's signer writes the same `value.base64(HMAC-SHA256)` without padding), and
 * cleared once its session is imported.
 */
export class LegacyCookie {
  private readonly marker: string;

  constructor(private readonly settings: LegacySessionSettings) {
    this.marker = `${settings.cookieName}=`;
  }

  /** The cheap test: the header names the cookie at all. */
  present(header: string | string[] | undefined): boolean {
    return typeof header === 'string' ? header.includes(this.marker) : Array.isArray(header) && header.some((h) => h.includes(this.marker));
  }

  /**
   * The legacy session id the cookie carries, once its signature verified under one of the
   * secrets and its shape is plausible; else `undefined` (unsigned, forged, tampered, garbage).
   */
  verifiedId(header: string | string[] | undefined): string | undefined {
    const raw = Array.isArray(header) ? header.join('; ') : header;
    if (typeof raw !== 'string' || raw.length > MAX_COOKIE_HEADER_BYTES) return undefined;
    let value: string | undefined;
    try {
      value = parseCookie(raw)[this.settings.cookieName];
    } catch {
      return undefined;
    }
    const { signedPrefix, secrets } = this.settings;
    if (!value || !value.startsWith(signedPrefix)) return undefined;
    const signed = value.slice(signedPrefix.length);
    for (const secret of secrets) {
      const id = unsign(signed, secret);
      if (id !== false) return LEGACY_ID.test(id) ? id : undefined;
    }
    return undefined;
  }

  /**
   * A `Set-Cookie` value that removes the legacy cookie: same name, and the path and domain it
   * was set with (from the legacy record; `/` and host-only when unknown or not a valid value).
   */
  serializeCleared(scope: LegacyCookieScope | undefined, request: IncomingMessage): string {
    const path = typeof scope?.path === 'string' && COOKIE_PATH.test(scope.path) ? scope.path : '/';
    const domain = typeof scope?.domain === 'string' && COOKIE_DOMAIN.test(scope.domain) ? scope.domain : undefined;
    // Browsers accept a __Host-/__Secure- cookie, even a clearing one, only with Secure; any
    // other clear carries no Secure, so that it is not dropped on a plain-http request.
    const prefixed = /^__(Host|Secure)-/.test(this.settings.cookieName);
    return stringifySetCookie(this.settings.cookieName, '', {
      path,
      ...(domain === undefined ? {} : { domain }),
      ...(prefixed || cameOverTls(request) ? { secure: true } : {}),
      httpOnly: true,
      expires: new Date(0),
      maxAge: 0,
    });
  }
}
