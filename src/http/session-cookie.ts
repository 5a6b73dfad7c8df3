import { parseCookie, stringifySetCookie } from 'cookie';
import type { ResolvedCookieOptions } from '../axess-session.resolved-options.js';
import type { CookieSigner } from './cookie-signer.js';

/**
 * Cookie headers above this size are not parsed (Node refuses headers over 16 KiB by default;
 * this bounds the work should a server raise that limit).
 */
export const MAX_COOKIE_HEADER_BYTES = 32 * 1024;

/**
 * Reads and writes the session cookie with the `cookie` package: the value is the signed id,
 * the attributes come from the module's cookie options.
 */
export class SessionCookie {
  constructor(
    private readonly options: ResolvedCookieOptions,
    private readonly signer: CookieSigner,
  ) {}

  /** The cookie's name. */
  get name(): string {
    return this.options.name;
  }

  /**
   * The verified session id in a `Cookie` header, or `undefined`. Malformed pairs are skipped by
   * the parser; with duplicated names the first one counts (the most specific path, per RFC 6265).
   * A value whose signature does not verify is ignored, never adopted.
   */
  read(header: string | string[] | undefined): string | undefined {
    return this.inspect(header).id;
  }

  /** Like `read`, and also tells whether a session cookie was there but did not verify. */
  inspect(header: string | string[] | undefined): { id?: string; forged: boolean } {
    const raw = Array.isArray(header) ? header.join('; ') : header;
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_COOKIE_HEADER_BYTES) return { forged: false };
    let value: string | undefined;
    try {
      value = parseCookie(raw)[this.options.name];
    } catch {
      return { forged: false };
    }
    if (value === undefined || value === '') return { forged: false };
    const id = this.signer.verify(value) ?? undefined;
    return id === undefined ? { forged: true } : { id, forged: false };
  }

  /** A `Set-Cookie` value carrying `id`, living until `expiresAtMs` (the absolute deadline). */
  serialize(id: string, expiresAtMs: number, nowMs: number): string {
    return stringifySetCookie(this.options.name, this.signer.sign(id), {
      ...this.attributes(),
      expires: new Date(expiresAtMs),
      maxAge: Math.max(0, Math.floor((expiresAtMs - nowMs) / 1000)),
    });
  }

  /** A `Set-Cookie` value that removes the cookie. */
  serializeCleared(): string {
    return stringifySetCookie(this.options.name, '', { ...this.attributes(), expires: new Date(0), maxAge: 0 });
  }

  private attributes() {
    const { secure, httpOnly, sameSite, path, domain } = this.options;
    return { secure, httpOnly, sameSite, path, ...(domain === undefined ? {} : { domain }) };
  }
}
