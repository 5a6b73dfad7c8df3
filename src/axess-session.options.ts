import type { AxessLocalCacheOptions } from './cache/local-cache.options.js';
import type { Clock } from './clock/clock.js';
import type { SecretKeyInput } from './crypto/secret-key.js';
import type { SessionCipher } from './crypto/session-cipher.js';
import type { AxessMigrateFromOptions } from './migration/legacy-session.options.js';
import type { SessionLimitPolicy } from './registry/session-limit.js';
import type { MaxSessionsSetting } from './session/login-policy.js';
import type { AxessRememberMeOptions } from './session/remember-me.js';
import type { AxessTelemetryOptions } from './telemetry/axess-telemetry.js';
import { DEFAULT_ABSOLUTE_TIMEOUT_MS, DEFAULT_ANONYMOUS_IDLE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS } from './store/session-lifetime.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './store/sealed-record.js';
import { DEFAULT_PREFIX } from './valkey/key-layout.js';
import type { DurableWritesOptions } from './valkey/durable-writes.js';
import type { AxessCustomStore } from './axess-session.custom-store.js';
import type { ValkeyClient } from './valkey/valkey-client.js';
import type { AxessConnectionOptions } from './valkey/valkey-connection.options.js';

export type { AxessConnectionOptions } from './valkey/valkey-connection.options.js';
export type { AxessCustomStore } from './axess-session.custom-store.js';

/** Cookie settings of the HTTP session layer. */
export interface AxessCookieOptions {
  /**
   * Cookie name, used as it is on every request; `__Host-`/`__Secure-` names require `secure: true`.
   * @default `'__Host-axess.sid'` when the cookie is Secure (per request with `secure: 'auto'`),
   * `'axess.sid'` when it is not; `'__Secure-axess.sid'` instead of `__Host-` when `domain` or a
   * `path` other than "/" is set (a `__Host-` cookie allows neither). Only a cookie of the name
   * that matches the request is read: a plain-name cookie planted by a sibling subdomain is ignored.
   */
  name?: string;
  /**
   * Send the cookie over https only. `'auto'`: Secure when the request came over TLS, as the
   * framework sees it (Express `trust proxy`, Fastify `trustProxy`: a trusted
   * `X-Forwarded-Proto: https` counts), for development and tests over plain http.
   * @default true
   */
  secure?: boolean | 'auto';
  /** @default true */
  httpOnly?: boolean;
  /** @default 'lax' */
  sameSite?: 'strict' | 'lax' | 'none';
  /** @default '/' */
  path?: string;
  /** No domain by default (host-only cookie). */
  domain?: string;
}

/**
 * Options of `AxessSessionModule.forRoot` / `forRootAsync`. Validated when the module boots;
 * a bad value fails the boot with a message naming the option.
 */
export interface AxessSessionModuleOptions {
  /**
   * Backend of the store and registry: `'valkey'`, `'memory'` (one process, local development), or
   * a backend of your own, `{ sessions, registry }` (see docs/custom-backends.md). @default 'valkey'
   */
  store?: 'valkey' | 'memory' | AxessCustomStore;
  /** An iovalkey client the app owns; the module never closes it. */
  client?: ValkeyClient;
  /**
   * Or connection options: the module creates the client and quits it on shutdown. Its
   * defaults: `commandTimeout` from `commandTimeoutMs`, `maxRetriesPerRequest: 1`, and
   * `enableAutoPipelining: false` (a lone command is sent at once instead of waiting for the next
   * tick; batching only pays off when many commands start in one tick: see bench/RESULTS.md).
   */
  connection?: AxessConnectionOptions;
  /** 32-byte AES-256-GCM key (Buffer, 64 hex characters, or base64/base64url). Required unless `plaintext: true`. */
  encryptionKey?: SecretKeyInput;
  /** Keys that still open older records during a rotation; every save re-seals with `encryptionKey`. */
  previousEncryptionKeys?: SecretKeyInput[];
  /** Store records unencrypted: an explicit opt-in that logs a warning. @default false */
  plaintext?: boolean;
  /** A cipher of your own instead of AES-256-GCM (overrides the key options). */
  cipher?: SessionCipher;
  /** 32-byte key the cookie-signing key is derived from (HKDF-SHA256); same formats as `encryptionKey`. Required for the HTTP layer. */
  signingKey?: SecretKeyInput;
  /** Key prefix in Valkey. @default 'axess' */
  prefix?: string;
  /** Largest stored record, after encryption. @default 65536 */
  maxPayloadBytes?: number;
  /** Source of time. @default SystemClock */
  clock?: Clock;
  /** Sliding idle timeout of a signed-in session. @default 1_800_000 (30 min, NIST SP 800-63B AAL2) */
  idleTimeoutMs?: number;
  /**
   * Sliding idle timeout of a session stored before any sign-in (e.g. a cart, a CSRF token):
   * short, so that anonymous visitors cannot fill Valkey with long-lived records. A sign-in
   * switches the session to `idleTimeoutMs`.
   * @default 900_000 (15 min), or idleTimeoutMs if that is shorter
   */
  anonymousIdleTimeoutMs?: number;
  /** Absolute lifetime of a session from its creation, however active. Must be ≥ idleTimeoutMs. @default 43_200_000 (12 h, NIST SP 800-63B AAL2) */
  absoluteTimeoutMs?: number;
  /**
   * "Remember me", asked per sign-in (`authenticate(req, user, { rememberMe: true })`, or the
   * request as `from` reads it through `MaxSessionsGuard` and passport's session mode): such a
   * session gets these timeouts and a persistent cookie (`Max-Age` up to its absolute deadline);
   * every other session's cookie is a browser-session cookie. See docs/session-lifetime.md.
   * @default { idleTimeoutMs: 604_800_000 (7 d), absoluteTimeoutMs: 2_592_000_000 (30 d) }
   */
  rememberMe?: AxessRememberMeOptions;
  /**
   * Most sessions one user may hold; the oldest are evicted at login. A number, or a function
   * `(user, context) => number | Promise<number>` for caps that depend on the user.
   * `undefined` = no cap.
   */
  maxSessionsPerUser?: MaxSessionsSetting;
  /**
   * What a sign-in does when the user's live sessions already fill `maxSessionsPerUser`:
   * `'evict-oldest'` admits it and evicts the oldest (the last sign-in wins, which may be an
   * attacker with the password); `'refuse'` answers 409 `{ reason: 'session-limit' }` and leaves
   * every session as it was (the user signs out elsewhere first). Per route: `@MaxSessions(n, { onSessionLimit })`.
   * @default 'evict-oldest'
   */
  onSessionLimit?: SessionLimitPolicy;
  /** Let a login through (logged) when Valkey fails during admission. @default false (fail closed) */
  failOpen?: boolean;
  /** Cookie settings. */
  cookie?: AxessCookieOptions;
  /** How the guard reads a user id from `req.user`. @default user => user.id ?? user.sub */
  userIdFrom?: (user: unknown) => string | number | undefined | null;
  /**
   * passport session mode: the user id of the session, read from what the app's
   * `serializeUser` stored (`req.session.passport.user`) when passport signs a user in.
   * @default a string or number as it is (`String(serialized)`); an object through `userIdFrom`, then its `userId`
   */
  passportUserId?: (serialized: unknown) => string | number | undefined | null;
  /**
   * Log a warning (once per route) when a request that an auth guard authenticated (`req.user`
   * set, no `Authorization` header) ends without a signed-in session: an `AuthGuard('local')`
   * route without `MaxSessionsGuard` or `super.logIn(request)` signs nobody in. @default true
   */
  warnUnboundLogin?: boolean;
  /** Record client ip and user agent in each session. @default true */
  captureClientInfo?: boolean;
  /**
   * `Cache-Control: no-store` on every response of a request whose session is signed in, set
   * before the handler runs: a Cache-Control the app sets itself replaces it. @default true
   */
  noStoreAuthenticated?: boolean;
  /** `Clear-Site-Data: "cookies"` on the response that clears the cookie of a logged-out or destroyed session. @default false */
  clearSiteDataOnLogout?: boolean;
  /** Mount the session middleware on every route. Set false to mount it yourself. @default true */
  mountMiddleware?: boolean;
  /** Command timeout of a client the module creates, in ms. @default 2000 */
  commandTimeoutMs?: number;
  /**
   * Durable writes (Valkey store only): each session save, deletion, gone-marker, eviction and
   * revocation waits until `replicas` replicas acknowledged it (`WAIT`, on the node holding the
   * key, Cluster included), so a session whose save succeeded, and a session ended by a call
   * that succeeded, survive a failover. Fewer acknowledgements within `timeoutMs` fail the write
   * with `SessionStoreError` of kind `replication`. Keep `timeoutMs` below `commandTimeoutMs`.
   * Off by default: Valkey replicates asynchronously.
   */
  durableWrites?: DurableWritesOptions;
  /**
   * A local cache of session records in this process (Valkey store only), kept coherent by
   * Valkey's server-assisted client-side caching (`CLIENT TRACKING … BCAST NOLOOP`, redirected to
   * a subscriber connection per node): a request whose session did not change sends nothing to
   * Valkey, and a change, logout, eviction or revocation on any instance invalidates the copies
   * everywhere. While tracking is not confirmed the cache is flushed and bypassed; a copy is never
   * served more than `maxStalenessMs` after a change Valkey applied. The idle timeout then holds to
   * within `touchIntervalMs`. `true` for the defaults; off by default.
   */
  localCache?: AxessLocalCacheOptions | boolean;
  /**
   * OpenTelemetry metrics (`axess.logins`, `axess.sessions.ended`, `axess.cookies.rejected`,
   * `axess.store.duration`, `axess.store.errors`) and spans, through `@opentelemetry/api`: a no-op
   * until the app registers an SDK (before it creates the Nest app). `{ metrics: false, traces: false }`
   * turns both off. @default { metrics: true, traces: true }, the global providers
   */
  telemetry?: AxessTelemetryOptions;
  /**
   * Switching from express-session or @fastify/session (connect-redis layout) without signing
   * anyone out: a request with a valid old cookie and no axess session imports the old session
   * once (data, and the user through normal admission), deletes it and clears the old cookie.
   * See docs/migrating-from-express-session.md. Off by default.
   */
  migrateFrom?: AxessMigrateFromOptions;
}

/** Defaults applied once at boot. */
export const AXESS_DEFAULTS = {
  store: 'valkey',
  prefix: DEFAULT_PREFIX,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  anonymousIdleTimeoutMs: DEFAULT_ANONYMOUS_IDLE_TIMEOUT_MS,
  absoluteTimeoutMs: DEFAULT_ABSOLUTE_TIMEOUT_MS,
  failOpen: false,
  onSessionLimit: 'evict-oldest',
  captureClientInfo: true,
  noStoreAuthenticated: true,
  clearSiteDataOnLogout: false,
  warnUnboundLogin: true,
  mountMiddleware: true,
  commandTimeoutMs: 2000,
} as const;
