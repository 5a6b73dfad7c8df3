import type { KeyObject } from 'node:crypto';
import { AXESS_DEFAULTS, type AxessSessionModuleOptions } from './axess-session.options.js';
import type { Clock } from './clock/clock.js';
import { SystemClock } from './clock/system.clock.js';
import { AesGcmSessionCipher } from './crypto/aes-gcm-session.cipher.js';
import { PlaintextSessionCipher } from './crypto/plaintext-session.cipher.js';
import { importSecretKey } from './crypto/secret-key.js';
import type { SessionCipher } from './crypto/session-cipher.js';
import { AxessOptionsError } from './errors/axess-options.error.js';
import { KeyLayout } from './store/key-layout.js';

/** Cookie settings with every default applied. */
export interface ResolvedCookieOptions {
  name: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: 'strict' | 'lax' | 'none';
  path: string;
  domain?: string;
}

/** The module's options after validation, with defaults applied and keys imported once. */
export interface ResolvedAxessOptions {
  raw: AxessSessionModuleOptions;
  store: 'valkey' | 'memory';
  keys: KeyLayout;
  cipher: SessionCipher;
  signingKey?: KeyObject;
  maxPayloadBytes: number;
  clock: Clock;
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  maxSessionsPerUser?: number;
  failOpen: boolean;
  cookie: ResolvedCookieOptions;
  userIdFrom: (user: unknown) => string | undefined;
  captureClientInfo: boolean;
  mountMiddleware: boolean;
  commandTimeoutMs: number;
}

// RFC 6265 cookie-name token characters.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Validates `options` and fills in defaults. Throws `AxessOptionsError` naming the first
 * offending option, with what to set instead.
 */
export function resolveAxessOptions(options: AxessSessionModuleOptions | undefined): ResolvedAxessOptions {
  if (!options || typeof options !== 'object') {
    throw new AxessOptionsError('options', 'AxessSessionModule needs an options object (forRoot({...}) or forRootAsync({ useFactory })).');
  }
  const store = options.store ?? AXESS_DEFAULTS.store;
  if (store !== 'valkey' && store !== 'memory') throw new AxessOptionsError('store', "must be 'valkey' or 'memory'.");
  if (store === 'valkey') {
    if (options.client && options.connection) throw new AxessOptionsError('client', 'set either `client` or `connection`, not both.');
    if (!options.client && !options.connection) {
      throw new AxessOptionsError('connection', "is required for the Valkey store: set `connection: { url }` or pass your own iovalkey `client` (or use store: 'memory').");
    }
  }
  const idleTimeoutMs = positiveInteger('idleTimeoutMs', options.idleTimeoutMs ?? AXESS_DEFAULTS.idleTimeoutMs);
  const absoluteTimeoutMs = positiveInteger('absoluteTimeoutMs', options.absoluteTimeoutMs ?? AXESS_DEFAULTS.absoluteTimeoutMs);
  if (absoluteTimeoutMs < idleTimeoutMs) {
    throw new AxessOptionsError('absoluteTimeoutMs', `must be at least idleTimeoutMs (${idleTimeoutMs} ms).`);
  }
  const maxSessionsPerUser = options.maxSessionsPerUser;
  if (maxSessionsPerUser !== undefined && (!Number.isSafeInteger(maxSessionsPerUser) || maxSessionsPerUser < 1)) {
    throw new AxessOptionsError('maxSessionsPerUser', 'must be a whole number ≥ 1 (or left unset for no cap).');
  }
  const mountMiddleware = options.mountMiddleware ?? AXESS_DEFAULTS.mountMiddleware;
  if (options.signingKey === undefined && mountMiddleware) {
    throw new AxessOptionsError('signingKey', 'is required for the session cookie: 32 random bytes, base64 (e.g. `openssl rand -base64 32`).');
  }
  return {
    raw: options,
    store,
    keys: new KeyLayout(options.prefix ?? AXESS_DEFAULTS.prefix),
    cipher: resolveCipher(options),
    signingKey: options.signingKey === undefined ? undefined : importSecretKey('signingKey', options.signingKey),
    maxPayloadBytes: positiveInteger('maxPayloadBytes', options.maxPayloadBytes ?? AXESS_DEFAULTS.maxPayloadBytes),
    clock: resolveClock(options.clock),
    idleTimeoutMs,
    absoluteTimeoutMs,
    maxSessionsPerUser,
    failOpen: options.failOpen ?? AXESS_DEFAULTS.failOpen,
    cookie: resolveCookie(options),
    userIdFrom: resolveUserIdFrom(options.userIdFrom),
    captureClientInfo: options.captureClientInfo ?? AXESS_DEFAULTS.captureClientInfo,
    mountMiddleware,
    commandTimeoutMs: positiveInteger('commandTimeoutMs', options.commandTimeoutMs ?? AXESS_DEFAULTS.commandTimeoutMs),
  };
}

function resolveCipher(options: AxessSessionModuleOptions): SessionCipher {
  if (options.cipher) return options.cipher;
  if (options.plaintext === true) {
    if (options.encryptionKey !== undefined) throw new AxessOptionsError('plaintext', 'cannot be combined with `encryptionKey`; choose one.');
    return new PlaintextSessionCipher();
  }
  if (options.encryptionKey === undefined) {
    throw new AxessOptionsError('encryptionKey', 'is required: 32 random bytes, base64 (e.g. `openssl rand -base64 32`); or opt into `plaintext: true`.');
  }
  const previous = options.previousEncryptionKeys ?? [];
  if (!Array.isArray(previous)) throw new AxessOptionsError('previousEncryptionKeys', 'must be an array of 32-byte keys.');
  return new AesGcmSessionCipher(options.encryptionKey, previous);
}

function resolveClock(clock: Clock | undefined): Clock {
  if (clock === undefined) return new SystemClock();
  if (typeof clock !== 'object' || typeof clock.now !== 'function') throw new AxessOptionsError('clock', 'must be a Clock (an object with now(): Date).');
  return clock;
}

function resolveCookie(options: AxessSessionModuleOptions): ResolvedCookieOptions {
  const cookie = { ...AXESS_DEFAULTS.cookie, ...(options.cookie ?? {}) };
  if (!COOKIE_NAME.test(cookie.name)) throw new AxessOptionsError('cookie.name', 'must be a cookie-name token (letters, digits, and !#$%&\'*+-.^_`|~).');
  if (!['strict', 'lax', 'none'].includes(cookie.sameSite)) throw new AxessOptionsError('cookie.sameSite', "must be 'strict', 'lax' or 'none'.");
  if ((cookie.name.startsWith('__Host-') || cookie.name.startsWith('__Secure-')) && !cookie.secure) {
    throw new AxessOptionsError('cookie.secure', `must be true for a cookie named ${cookie.name} (browsers drop it otherwise).`);
  }
  if (cookie.name.startsWith('__Host-') && (cookie.path !== '/' || cookie.domain !== undefined)) {
    throw new AxessOptionsError('cookie.path', 'a __Host- cookie needs path "/" and no domain.');
  }
  if (cookie.sameSite === 'none' && !cookie.secure) throw new AxessOptionsError('cookie.secure', "must be true when sameSite is 'none'.");
  return cookie;
}

function resolveUserIdFrom(custom: AxessSessionModuleOptions['userIdFrom']): (user: unknown) => string | undefined {
  const read = custom ?? defaultUserId;
  return (user) => {
    const id = read(user);
    if (id === undefined || id === null || id === '') return undefined;
    return String(id);
  };
}

function defaultUserId(user: unknown): string | number | undefined {
  if (typeof user !== 'object' || user === null) return undefined;
  const { id, sub } = user as { id?: unknown; sub?: unknown };
  const value = id ?? sub;
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}

function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new AxessOptionsError(option, 'must be a whole number ≥ 1.');
  }
  return value;
}
