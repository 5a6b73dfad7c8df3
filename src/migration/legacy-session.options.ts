import { AxessOptionsError } from '../errors/axess-options.error.js';
import { COOKIE_NAME } from '../http/session-cookie.options.js';

/** The data of a legacy session: its stored JSON, without the library's own `cookie` object. */
export type LegacySessionData = Record<string, unknown>;

/**
 * The few commands the import sends to where the legacy sessions live: an ioredis or iovalkey
 * client (standalone, Sentinel or Cluster). Every command touches one key.
 */
export interface LegacySessionClient {
  /** A transaction: the claim reads the time left and takes the record in one `MULTI`. */
  multi(): LegacySessionTransaction;
  /** Puts a record back after a failed import, unless the key exists again (`NX`), with no expiry. */
  set(key: string, value: string, nx: 'NX'): Promise<unknown>;
  /** Puts a record back after a failed import, unless the key exists again (`NX`), with the time it had left. */
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<unknown>;
}

/** The commands of {@link LegacySessionClient.multi}'s transaction the import uses. */
export interface LegacySessionTransaction {
  /** Queues `PTTL key`. */
  pttl(key: string): unknown;
  /** Queues `GETDEL key`. */
  getdel(key: string): unknown;
  /** Sends the transaction: one `[error, reply]` per command, or `null` when it was aborted. */
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** Where the sessions of the library being replaced live, and how to recognise their cookie. */
export interface LegacySessionSource {
  /**
   * The secret(s) the old library signed its cookie with (`secret` of express-session or
   * @fastify/session): every one verifies, as they did there. Required.
   */
  secrets: string | string[];
  /** The old cookie's name. @default 'connect.sid' (express-session), 'sessionId' (@fastify/session) */
  cookieName?: string;
  /** The old store's key prefix: connect-redis keeps a session under prefix + id. @default 'sess:' */
  prefix?: string;
  /**
   * The user a legacy session belongs to, from its data; `undefined` imports it as an anonymous
   * session. @default what passport stored, read like the module's `passportUserId`:
   * `data.passport.user` (express-session + passport), or `data.passport` (@fastify/passport)
   */
  userId?: (legacyData: LegacySessionData) => string | undefined;
  /**
   * The client of the old store (e.g. the app's ioredis client), when the legacy sessions are not
   * on the module's own Valkey connection. The module never closes it.
   */
  client?: LegacySessionClient;
}

/**
 * Sessions of the library the app used before (`express-session` or `@fastify/session`, with a
 * connect-redis style store) that a request's cookie still names: imported once, on the user's
 * first request, so the switch signs nobody out. Set one of the two.
 */
export interface AxessMigrateFromOptions {
  /** express-session: the cookie is `s:` + id + `.` + signature (cookie-signature). */
  expressSession?: LegacySessionSource;
  /** @fastify/session: the cookie is id + `.` + signature (@fastify/cookie's signer, sha256). */
  fastifySession?: LegacySessionSource;
}

/** The legacy source once validated, defaults applied. */
export interface LegacySessionSettings {
  /** The option it came from, for messages. */
  option: 'migrateFrom.expressSession' | 'migrateFrom.fastifySession';
  cookieName: string;
  /** What precedes the signed value in the cookie: `s:` for express-session. */
  signedPrefix: string;
  secrets: readonly string[];
  prefix: string;
  /** The app's own reading of the user id; `undefined`: what passport stored. */
  userId?: (legacyData: LegacySessionData) => string | undefined;
  client?: LegacySessionClient;
}

const LIBRARIES = {
  expressSession: { cookieName: 'connect.sid', signedPrefix: 's:' },
  fastifySession: { cookieName: 'sessionId', signedPrefix: '' },
} as const;

/** Validates `migrateFrom` at boot; the in-memory or a custom `store` has no Valkey connection, so it needs `client`. */
export function resolveMigrateFrom(given: unknown, store: 'valkey' | 'memory' | 'custom'): LegacySessionSettings | undefined {
  if (given === undefined || given === null) return undefined;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new AxessOptionsError('migrateFrom', 'must be an object: { expressSession: { secrets } } or { fastifySession: { secrets } }.');
  }
  const set = (Object.keys(LIBRARIES) as Array<keyof typeof LIBRARIES>).filter((name) => (given as AxessMigrateFromOptions)[name]);
  if (set.length !== 1) {
    throw new AxessOptionsError('migrateFrom', 'must name exactly one library: expressSession or fastifySession.');
  }
  const name = set[0];
  const option = `migrateFrom.${name}` as const;
  const source = (given as AxessMigrateFromOptions)[name] as unknown;
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new AxessOptionsError(option, 'must be an object: { secrets, cookieName?, prefix?, userId?, client? }.');
  }
  const { secrets, cookieName, prefix, userId, client } = source as LegacySessionSource;
  const cookie = cookieName ?? LIBRARIES[name].cookieName;
  if (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie)) {
    throw new AxessOptionsError(`${option}.cookieName`, "must be a cookie-name token (letters, digits, and !#$%&'*+-.^_`|~).");
  }
  const keyPrefix = prefix ?? 'sess:';
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 256) {
    throw new AxessOptionsError(`${option}.prefix`, "must be the old store's key prefix, a string (connect-redis: 'sess:').");
  }
  if (userId !== undefined && typeof userId !== 'function') {
    throw new AxessOptionsError(`${option}.userId`, 'must be a function (legacyData) => string | undefined.');
  }
  if (client !== undefined && !isClient(client)) {
    throw new AxessOptionsError(`${option}.client`, 'must be an ioredis or iovalkey client (with multi() and set()).');
  }
  if (client === undefined && store !== 'valkey') {
    throw new AxessOptionsError(
      `${option}.client`,
      `is required with store: '${store}': give the client of the store the legacy sessions are in.`,
    );
  }
  return {
    option,
    cookieName: cookie,
    signedPrefix: LIBRARIES[name].signedPrefix,
    secrets: resolveSecrets(`${option}.secrets`, secrets),
    prefix: keyPrefix,
    ...(userId === undefined ? {} : { userId }),
    ...(client === undefined ? {} : { client }),
  };
}

function resolveSecrets(option: string, secrets: unknown): string[] {
  const list: unknown[] = Array.isArray(secrets) ? secrets : [secrets];
  if (list.length === 0 || !list.every((secret) => typeof secret === 'string' && secret.length > 0)) {
    throw new AxessOptionsError(option, "is required: the old library's `secret` (a non-empty string, or an array of them).");
  }
  return list as string[];
}

function isClient(value: unknown): value is LegacySessionClient {
  const client = value as Partial<LegacySessionClient> | null;
  return typeof client === 'object' && client !== null && typeof client.multi === 'function' && typeof client.set === 'function';
}

/** What passport stored in a legacy session: `passport.user` (express-session), else `passport` itself (@fastify/passport). */
export function passportValue(data: LegacySessionData): unknown {
  const passport = data.passport;
  if (typeof passport === 'object' && passport !== null && Object.hasOwn(passport, 'user')) return (passport as { user?: unknown }).user;
  return passport;
}
