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

/** The replaced library's cookie, verified with `cookie-signature` (@fastify/cookie signs the same way) and cleared once imported. */
export class LegacyCookie {
  private readonly marker: string;

  constructor(private readonly settings: LegacySessionSettings) {
    this.marker = `${settings.cookieName}=`;
  }

  /** The cheap test: the header names the cookie at all. */
  present(header: string | string[] | undefined): boolean {
    return typeof header === 'string' ? header.includes(this.marker) : Array.isArray(header) && header.some((h) => h.includes(this.marker));
  }

  /** The legacy session id, once signed under one of the secrets and plausible; else `undefined`. */
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

  /** A `Set-Cookie` value removing the legacy cookie, with the path and domain the record remembers (else `/`, host-only). */
  serializeCleared(scope: LegacyCookieScope | undefined, request: IncomingMessage): string {
    const path = typeof scope?.path === 'string' && COOKIE_PATH.test(scope.path) ? scope.path : '/';
    const domain = typeof scope?.domain === 'string' && COOKIE_DOMAIN.test(scope.domain) ? scope.domain : undefined;
    // Prefixed cookies are cleared only with Secure; others only with it over TLS (not dropped on plain http).
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
