import type { RedisOptions, ClusterNode, ClusterOptions, SentinelAddress } from 'iovalkey';
import type { Clock } from './clock/clock.js';
import type { SecretKeyInput } from './crypto/secret-key.js';
import type { SessionCipher } from './crypto/session-cipher.js';
import type { DurableWritesOptions } from './store/durable-writes.js';
import type { ValkeyClient } from './valkey/valkey-client.js';

/** Cookie settings of the HTTP session layer. */
export interface AxessCookieOptions {
  /** Cookie name; `__Host-`/`__Secure-` names require `secure`. @default 'axess.sid' */
  name?: string;
  /** @default true */
  secure?: boolean;
  /** @default true */
  httpOnly?: boolean;
  /** @default 'lax' */
  sameSite?: 'strict' | 'lax' | 'none';
  /** @default '/' */
  path?: string;
  /** No domain by default (host-only cookie). */
  domain?: string;
}

/** Connection options for a client the module creates and quits on shutdown. */
export interface AxessConnectionOptions extends RedisOptions {
  /** `redis://` / `valkey://` / `rediss://` URL; other fields override its parts. */
  url?: string;
  /** Cluster seed nodes: the module creates an iovalkey `Cluster`. */
  clusterNodes?: ClusterNode[];
  /** Options of the `Cluster` client when `clusterNodes` is set. */
  clusterOptions?: ClusterOptions;
  /** Sentinel addresses (with `name`): the module connects to the primary they report. */
  sentinels?: Array<Partial<SentinelAddress>>;
}

/**
 * Options of `AxessSessionModule.forRoot` / `forRootAsync`. Validated when the module boots;
 * a bad value fails the boot with a message naming the option.
 */
export interface AxessSessionModuleOptions {
  /** Backend of the store and registry. @default 'valkey' */
  store?: 'valkey' | 'memory';
  /** An iovalkey client the app owns; the module never closes it. */
  client?: ValkeyClient;
  /**
   * Or connection options: the module creates the client and quits it on shutdown. Its
   * defaults: `commandTimeout` from `commandTimeoutMs`, `maxRetriesPerRequest: 1`, and
   * `enableAutoPipelining: false` (measured: a lone command is 25–35 µs faster without it;
   * it only pays off when many commands start in one tick; see `ValkeyConnection.create`).
   */
  connection?: AxessConnectionOptions;
  /** 32-byte AES-256-GCM key (Buffer or base64/base64url). Required unless `plaintext: true`. */
  encryptionKey?: SecretKeyInput;
  /** Keys that still open older records during a rotation; every save re-seals with `encryptionKey`. */
  previousEncryptionKeys?: SecretKeyInput[];
  /** Store records unencrypted: an explicit opt-in that logs a warning. @default false */
  plaintext?: boolean;
  /** A cipher of your own instead of AES-256-GCM (overrides the key options). */
  cipher?: SessionCipher;
  /** 32-byte key the cookie-signing key is derived from (HKDF-SHA256). Required for the HTTP layer. */
  signingKey?: SecretKeyInput;
  /** Key prefix in Valkey. @default 'axess' */
  prefix?: string;
  /** Largest stored record, after encryption. @default 65536 */
  maxPayloadBytes?: number;
  /** Source of time. @default SystemClock */
  clock?: Clock;
  /** Sliding idle timeout. @default 86_400_000 (24 h) */
  idleTimeoutMs?: number;
  /** Absolute lifetime of a session from its creation, however active. Must be ≥ idleTimeoutMs. @default 604_800_000 (7 d) */
  absoluteTimeoutMs?: number;
  /** Most sessions one user may hold; the oldest are evicted at login. `undefined` = no cap. */
  maxSessionsPerUser?: number;
  /** Let a login through (logged) when Valkey fails during admission. @default false (fail closed) */
  failOpen?: boolean;
  /** Cookie settings. */
  cookie?: AxessCookieOptions;
  /** How the guard reads a user id from `req.user`. @default user => user.id ?? user.sub */
  userIdFrom?: (user: unknown) => string | number | undefined | null;
  /** Record client ip and user agent in each session. @default true */
  captureClientInfo?: boolean;
  /** Mount the session middleware on every route. Set false to mount it yourself. @default true */
  mountMiddleware?: boolean;
  /** Command timeout of a client the module creates, in ms. @default 2000 */
  commandTimeoutMs?: number;
  /**
   * Durable writes (Valkey store only): each session save waits until `replicas` replicas
   * acknowledged it (`WAIT`, on the node holding the key, Cluster included), so a session whose
   * save succeeded survives a failover. Fewer acknowledgements within `timeoutMs` fail the write
   * with `ValkeyStoreError` of kind `replication`. Keep `timeoutMs` below `commandTimeoutMs`.
   * Off by default: Valkey replicates asynchronously.
   */
  durableWrites?: DurableWritesOptions;
}

/** Defaults applied once at boot. */
export const AXESS_DEFAULTS = {
  store: 'valkey',
  prefix: 'axess',
  maxPayloadBytes: 64 * 1024,
  idleTimeoutMs: 24 * 60 * 60 * 1000,
  absoluteTimeoutMs: 7 * 24 * 60 * 60 * 1000,
  failOpen: false,
  captureClientInfo: true,
  mountMiddleware: true,
  commandTimeoutMs: 2000,
  cookie: { name: 'axess.sid', secure: true, httpOnly: true, sameSite: 'lax', path: '/' },
} as const;
