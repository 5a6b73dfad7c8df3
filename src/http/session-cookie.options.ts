import { AxessOptionsError } from '../errors/axess-options.error.js';
import type { SessionCookieSettings } from './session-cookie.js';

/** The cookie's name when it is not Secure and none was configured. */
export const PLAIN_COOKIE_NAME = 'axess.sid';
/** The default name of a Secure cookie: `__Host-`, so that no sibling subdomain and no plain-http page can set one. */
export const HOST_COOKIE_NAME = '__Host-axess.sid';
/** The default name of a Secure cookie with a `domain` or a path other than "/" (which `__Host-` forbids). */
export const SECURE_COOKIE_NAME = '__Secure-axess.sid';

/** Cookie attribute defaults; the name's default depends on them (see {@link resolveCookieSettings}). */
export const COOKIE_DEFAULTS: Readonly<Omit<SessionCookieSettings, 'name' | 'plainName' | 'domain'>> = {
  secure: true,
  httpOnly: true,
  sameSite: 'lax',
  path: '/',
};

/** RFC 6265 cookie-name token characters. */
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What the `cookie` serializer accepts as a path (RFC 6265 path-value without ';' or '<'), starting at the root. */
export const COOKIE_PATH = /^\/[\u0020-\u003A\u003D-\u007E]*$/;
/** Host names as the `cookie` serializer accepts them. */
export const COOKIE_DOMAIN = /^([.]?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Validates the module's `cookie` option and fills in defaults; without a `name`, the name follows `secure`, `path` and `domain`. */
export function resolveCookieSettings(given: unknown): SessionCookieSettings {
  given ??= {};
  if (typeof given !== 'object' || Array.isArray(given))
    throw new AxessOptionsError('cookie', 'must be an object of cookie settings ({ name, secure, sameSite, ... }).');
  // Unset (undefined or null) fields keep their default.
  const set = Object.fromEntries(Object.entries(given as object).filter(([, value]) => value !== undefined && value !== null));
  const cookie = { ...COOKIE_DEFAULTS, ...set } as Omit<SessionCookieSettings, 'name' | 'plainName'> & { name?: unknown };
  if (!['strict', 'lax', 'none'].includes(cookie.sameSite))
    throw new AxessOptionsError('cookie.sameSite', "must be 'strict', 'lax' or 'none'.");
  if (cookie.secure !== 'auto') flag('cookie.secure', cookie.secure);
  flag('cookie.httpOnly', cookie.httpOnly);
  if (typeof cookie.path !== 'string' || !COOKIE_PATH.test(cookie.path)) {
    throw new AxessOptionsError('cookie.path', 'must be a path starting with "/" (printable ASCII, no ";").');
  }
  if (cookie.domain !== undefined && (typeof cookie.domain !== 'string' || !COOKIE_DOMAIN.test(cookie.domain))) {
    throw new AxessOptionsError('cookie.domain', 'must be a host name such as "example.com" (or be left unset for a host-only cookie).');
  }
  if (cookie.sameSite === 'none' && cookie.secure !== true)
    throw new AxessOptionsError('cookie.secure', "must be true when sameSite is 'none'.");
  if (cookie.name === undefined) {
    const hostOnly = cookie.path === '/' && cookie.domain === undefined;
    return { ...cookie, name: hostOnly ? HOST_COOKIE_NAME : SECURE_COOKIE_NAME, plainName: PLAIN_COOKIE_NAME };
  }
  const name: unknown = cookie.name;
  if (typeof name !== 'string' || !COOKIE_NAME.test(name))
    throw new AxessOptionsError('cookie.name', "must be a cookie-name token (letters, digits, and !#$%&'*+-.^_`|~).");
  if ((name.startsWith('__Host-') || name.startsWith('__Secure-')) && cookie.secure !== true) {
    throw new AxessOptionsError('cookie.secure', `must be true for a cookie named ${name} (browsers drop it otherwise).`);
  }
  if (name.startsWith('__Host-') && (cookie.path !== '/' || cookie.domain !== undefined)) {
    throw new AxessOptionsError('cookie.path', 'a __Host- cookie needs path "/" and no domain.');
  }
  return { ...cookie, name, plainName: name };
}

function flag(option: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new AxessOptionsError(option, `must be true or false, not a value of type ${typeof value}.`);
}
