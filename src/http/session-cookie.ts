import { Logger } from '@nestjs/common';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import type { CookieSigner } from './cookie-signer.js';
import { frameworkRequest } from './session-request.js';

/** Cookie headers above this size are not parsed (bounds the work should a server raise Node's 16 KiB limit). */
export const MAX_COOKIE_HEADER_BYTES = 32 * 1024;

/** Most cookies of the session's name tried for one request (other paths, a parent domain, a planted one): each costs an HMAC. */
export const MAX_SESSION_COOKIES = 4;

/** The session cookie's attributes, every default applied (see the module's `cookie` option). */
export interface SessionCookieSettings {
  /** The name of the cookie when it is Secure. */
  name: string;
  /** The name of the cookie when it is not Secure (`'auto'` on a plain-http request, or `secure: false`). */
  plainName: string;
  /** `'auto'`: Secure when the request came over TLS, as the framework sees it (trusted proxies included). */
  secure: boolean | 'auto';
  httpOnly: boolean;
  sameSite: 'strict' | 'lax' | 'none';
  path: string;
  domain?: string;
}

/** What {@link SessionCookie.inspect} found in a `Cookie` header. */
export interface CookieInspection {
  /** The verified session ids, in the header's order. */
  ids: string[];
  /** Whether a value of the cookie's name did not verify. */
  forged: boolean;
  /** Why each value that did not verify was refused, in order (only when `forged`). */
  rejected?: Array<'malformed' | 'bad-signature'>;
}

const LOOPBACK_HOST = /^(localhost|[^:]+\.localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** Reads and writes the session cookie (the signed id); without a signer it refuses to be used, so only the HTTP layer needs the key. */
export class SessionCookie {
  private readonly logger = new Logger('AxessSession');
  private warnedInsecure = false;

  constructor(
    readonly settings: SessionCookieSettings,
    private readonly signer: CookieSigner | undefined,
  ) {}

  /** The cookie's name on `request`: the default name is the Secure one only where the cookie is Secure. */
  nameFor(request: IncomingMessage | undefined): string {
    const { name, plainName } = this.settings;
    return name === plainName || this.secureFor(request, false) ? name : plainName;
  }

  /** False without a signing key: the HTTP layer cannot run then. */
  get configured(): boolean {
    return this.signer !== undefined;
  }

  /**
   * Every verified session id in a `Cookie` header, in order, and whether a value did not verify:
   * the caller uses the first live one, so a value planted ahead of the real one cannot hide it.
   */
  inspect(header: string | string[] | undefined, request?: IncomingMessage): CookieInspection {
    const raw = Array.isArray(header) ? header.join('; ') : header;
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_COOKIE_HEADER_BYTES) return { ids: [], forged: false };
    const signer = this.requireSigner();
    const ids: string[] = [];
    let rejected: Array<'malformed' | 'bad-signature'> | undefined;
    for (const value of this.values(raw, this.nameFor(request))) {
      const id = signer.verify(value);
      if (id === null) (rejected ??= []).push(signer.rejection(value));
      else if (!ids.includes(id)) ids.push(id);
    }
    return rejected ? { ids, forged: true, rejected } : { ids, forged: false };
  }

  /** The non-empty values of the session cookie in `raw`, in order, at most {@link MAX_SESSION_COOKIES}. */
  private values(raw: string, name: string): string[] {
    const marker = `${name}=`;
    const first = raw.indexOf(marker);
    if (first === -1) return [];
    // The usual case, one cookie of that name: the whole header in one parse.
    if (raw.indexOf(marker, first + marker.length) === -1) {
      const value = parseOrUndefined(raw, name);
      return value ? [value] : [];
    }
    const values: string[] = [];
    for (const pair of raw.split(';')) {
      const value = parseOrUndefined(pair, name);
      if (value) values.push(value);
      if (values.length === MAX_SESSION_COOKIES) break;
    }
    return values;
  }

  /** A `Set-Cookie` value carrying `id` until `expiresAtMs`, or for the browser session when `undefined`. */
  serialize(id: string, expiresAtMs: number | undefined, nowMs: number, request?: IncomingMessage): string {
    const value = this.requireSigner().sign(id);
    const name = this.nameFor(request);
    if (expiresAtMs === undefined) return stringifySetCookie(name, value, this.attributes(request));
    return stringifySetCookie(name, value, {
      ...this.attributes(request),
      expires: new Date(expiresAtMs),
      maxAge: Math.max(0, Math.floor((expiresAtMs - nowMs) / 1000)),
    });
  }

  /** A `Set-Cookie` value that removes the cookie. */
  serializeCleared(request?: IncomingMessage): string {
    return stringifySetCookie(this.nameFor(request), '', { ...this.attributes(request), expires: new Date(0), maxAge: 0 });
  }

  private attributes(request: IncomingMessage | undefined) {
    const { httpOnly, sameSite, path, domain } = this.settings;
    return { secure: this.secureFor(request), httpOnly, sameSite, path, ...(domain === undefined ? {} : { domain }) };
  }

  private secureFor(request: IncomingMessage | undefined, warn = true): boolean {
    const { secure } = this.settings;
    if (secure === 'auto') return request !== undefined && cameOverTls(request);
    if (warn && secure && request !== undefined && !this.warnedInsecure && !cameOverTls(request) && !fromLoopbackHost(request)) {
      // Browsers drop it on any host but localhost: every next request would be signed out, silently.
      this.warnedInsecure = true;
      this.logger.warn(
        'A Secure session cookie was set on a plain-http request: browsers will not send it back. ' +
          "Serve over https, trust your proxy's X-Forwarded-Proto, " +
          "or set the module option cookie.secure to 'auto' (or false in development).",
      );
    }
    return secure;
  }

  private requireSigner(): CookieSigner {
    if (!this.signer) {
      throw new AxessOptionsError('signingKey', 'is required for the session cookie: 32 random bytes (e.g. `openssl rand -base64 32`).');
    }
    return this.signer;
  }
}

/** The value of cookie `name` in `header`, or `undefined` (also when the header does not parse). */
function parseOrUndefined(header: string, name: string): string | undefined {
  try {
    return parseCookie(header)[name] || undefined;
  } catch {
    return undefined;
  }
}

/** True when the request came over TLS as the framework sees it (its `protocol` honours trusted proxies), else as the socket says. */
export function cameOverTls(request: IncomingMessage): boolean {
  const protocol =
    (request as { protocol?: unknown }).protocol ?? (frameworkRequest(request) as { protocol?: unknown } | undefined)?.protocol;
  if (typeof protocol === 'string') return protocol === 'https';
  return (request.socket as TLSSocket | undefined)?.encrypted === true;
}

/** True when the Host header names this machine (browsers accept Secure cookies from http://localhost). */
function fromLoopbackHost(request: IncomingMessage): boolean {
  const host = request.headers.host;
  if (typeof host !== 'string') return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return LOOPBACK_HOST.test(name);
}
