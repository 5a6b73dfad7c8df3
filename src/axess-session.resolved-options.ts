import type { KeyObject } from 'node:crypto';
import { AXESS_DEFAULTS, type AxessSessionModuleOptions } from './axess-session.options.js';
import type { Clock } from './clock/clock.js';
import { SystemClock } from './clock/system.clock.js';
import { resolveLocalCache, type LocalCacheSettings } from './cache/local-cache.options.js';
import { AesGcmSessionCipher } from './crypto/aes-gcm-session.cipher.js';
import { PlaintextSessionCipher } from './crypto/plaintext-session.cipher.js';
import { keyFingerprint } from './crypto/key-fingerprint.js';
import { importSecretKey } from './crypto/secret-key.js';
import type { SessionCipher } from './crypto/session-cipher.js';
import { AxessOptionsError } from './errors/axess-options.error.js';
import type { SessionCookieSettings } from './http/session-cookie.js';
import { resolveCookieSettings } from './http/session-cookie.options.js';
import { resolveMigrateFrom, type LegacySessionSettings } from './migration/legacy-session.options.js';
import { assertMaxSessions } from './registry/registry-limits.js';
import { assertSessionLimitPolicy, type SessionLimitPolicy } from './registry/session-limit.js';
import type { MaxSessionsSetting } from './session/login-policy.js';
import { resolveRememberMe, type RememberMeSettings } from './session/remember-me.js';
import type { AxessTelemetryOptions } from './telemetry/axess-telemetry.js';
import { assertDurableWrites, type DurableWritesOptions } from './valkey/durable-writes.js';
import { KeyLayout } from './valkey/key-layout.js';
import { assertConnectionOptions } from './valkey/valkey-connection.options.js';
import { assertWholeNumber } from './errors/whole-number.js';
import { assertCustomStoreFeatures, resolveCustomStore, type AxessCustomStore } from './axess-session.custom-store.js';

/** The module's options after validation, with defaults applied and keys imported once. */
export interface ResolvedAxessOptions {
  raw: AxessSessionModuleOptions;
  store: 'valkey' | 'memory' | 'custom';
  /** The app's own backend (`store: { sessions, registry }`), validated. */
  custom?: AxessCustomStore;
  keys: KeyLayout;
  cipher: SessionCipher;
  signingKey?: KeyObject;
  maxPayloadBytes: number;
  clock: Clock;
  idleTimeoutMs: number;
  anonymousIdleTimeoutMs: number;
  absoluteTimeoutMs: number;
  /** "Remember me": the timeouts of remembered sessions and where a sign-in's choice is read. */
  rememberMe: RememberMeSettings;
  maxSessionsPerUser?: MaxSessionsSetting;
  onSessionLimit: SessionLimitPolicy;
  failOpen: boolean;
  cookie: SessionCookieSettings;
  userIdFrom: (user: unknown) => string | undefined;
  passportUserId: (serialized: unknown) => string | undefined;
  warnUnboundLogin: boolean;
  captureClientInfo: boolean;
  noStoreAuthenticated: boolean;
  clearSiteDataOnLogout: boolean;
  mountMiddleware: boolean;
  commandTimeoutMs: number;
  /** Validated here, before any client exists: a bad value must not leave a connection behind. */
  durableWrites?: DurableWritesOptions;
  /** The local cache's settings; `undefined` when it is off. */
  localCache?: LocalCacheSettings;
  /** Both switches set; providers only when the app gave them. */
  telemetry: AxessTelemetryOptions & { metrics: boolean; traces: boolean };
  /** The legacy sessions to import (`migrateFrom`); `undefined` when off. */
  migrateFrom?: LegacySessionSettings;
}

/**
 * Validates `options` and fills in defaults. Throws `AxessOptionsError` naming the first
 * offending option, with what to set instead.
 */
export function resolveAxessOptions(options: AxessSessionModuleOptions | undefined): ResolvedAxessOptions {
  if (!options || typeof options !== 'object') {
    throw new AxessOptionsError('options', 'AxessSessionModule needs an options object (forRoot({...}) or forRootAsync({ useFactory })).');
  }
  const given = options.store ?? AXESS_DEFAULTS.store;
  const custom = given !== null && typeof given === 'object' ? resolveCustomStore(given) : undefined;
  if (!custom && given !== 'valkey' && given !== 'memory') {
    throw new AxessOptionsError('store', "must be 'valkey', 'memory' or your own backend { sessions, registry }.");
  }
  const store = custom ? 'custom' : (given as 'valkey' | 'memory');
  if (store === 'valkey') {
    if (options.client && options.connection) throw new AxessOptionsError('client', 'set either `client` or `connection`, not both.');
    if (!options.client && !options.connection) {
      throw new AxessOptionsError(
        'connection',
        "is required for the Valkey store: set `connection: { url }` or pass your own iovalkey `client` (or use store: 'memory').",
      );
    }
    if (options.connection) assertConnectionOptions(options.connection);
  }
  const idleTimeoutMs = positiveInteger('idleTimeoutMs', options.idleTimeoutMs ?? AXESS_DEFAULTS.idleTimeoutMs);
  const absoluteTimeoutMs = positiveInteger('absoluteTimeoutMs', options.absoluteTimeoutMs ?? AXESS_DEFAULTS.absoluteTimeoutMs);
  if (absoluteTimeoutMs < idleTimeoutMs) {
    throw new AxessOptionsError('absoluteTimeoutMs', `must be at least idleTimeoutMs (${idleTimeoutMs} ms).`);
  }
  const anonymousIdleTimeoutMs = positiveInteger(
    'anonymousIdleTimeoutMs',
    options.anonymousIdleTimeoutMs ?? Math.min(AXESS_DEFAULTS.anonymousIdleTimeoutMs, idleTimeoutMs),
  );
  if (anonymousIdleTimeoutMs > absoluteTimeoutMs) {
    throw new AxessOptionsError('anonymousIdleTimeoutMs', `must be at most absoluteTimeoutMs (${absoluteTimeoutMs} ms).`);
  }
  const rememberMe = resolveRememberMe(options.rememberMe, positiveInteger);
  const maxSessionsPerUser = options.maxSessionsPerUser;
  if (maxSessionsPerUser !== undefined && typeof maxSessionsPerUser !== 'function') assertMaxSessions(maxSessionsPerUser);
  const onSessionLimit = options.onSessionLimit ?? AXESS_DEFAULTS.onSessionLimit;
  assertSessionLimitPolicy(onSessionLimit);
  const mountMiddleware = flag('mountMiddleware', options.mountMiddleware, AXESS_DEFAULTS.mountMiddleware);
  if (options.signingKey === undefined && mountMiddleware) {
    throw new AxessOptionsError(
      'signingKey',
      'is required for the session cookie: 32 random bytes, base64 (e.g. `openssl rand -base64 32`).',
    );
  }
  const commandTimeoutMs = positiveInteger('commandTimeoutMs', options.commandTimeoutMs ?? AXESS_DEFAULTS.commandTimeoutMs);
  const localCache = resolveLocalCache(options.localCache, Math.min(idleTimeoutMs, anonymousIdleTimeoutMs));
  if (localCache && store === 'memory') {
    throw new AxessOptionsError('localCache', "needs the Valkey store (records of store: 'memory' are in this process already).");
  }
  const durableWrites = resolveDurableWrites(options.durableWrites, commandTimeoutMs);
  if (durableWrites && store === 'memory') {
    throw new AxessOptionsError('durableWrites', "needs the Valkey store (store: 'memory' has no replicas to wait for).");
  }
  if (custom) assertCustomStoreFeatures(custom.sessions, { localCache, durableWrites });
  const cipher = resolveCipher(options);
  const signingKey = options.signingKey === undefined ? undefined : importSecretKey('signingKey', options.signingKey);
  if (signingKey && cipher.keyFingerprints().includes(keyFingerprint(signingKey))) {
    // One key for two jobs: whoever learns it from one use (e.g. a leaked cookie-signing
    // setup) holds the other too.
    throw new AxessOptionsError('signingKey', 'must differ from the encryption keys: generate a separate random key for each.');
  }
  return {
    raw: options,
    store,
    custom,
    keys: new KeyLayout(options.prefix ?? AXESS_DEFAULTS.prefix),
    cipher,
    signingKey,
    maxPayloadBytes: positiveInteger('maxPayloadBytes', options.maxPayloadBytes ?? AXESS_DEFAULTS.maxPayloadBytes),
    clock: resolveClock(options.clock),
    idleTimeoutMs,
    anonymousIdleTimeoutMs,
    absoluteTimeoutMs,
    maxSessionsPerUser,
    onSessionLimit,
    failOpen: flag('failOpen', options.failOpen, AXESS_DEFAULTS.failOpen),
    cookie: resolveCookieSettings(options.cookie),
    rememberMe,
    userIdFrom: resolveUserIdFrom(options.userIdFrom),
    passportUserId: resolvePassportUserId(options.passportUserId, resolveUserIdFrom(options.userIdFrom)),
    warnUnboundLogin: flag('warnUnboundLogin', options.warnUnboundLogin, AXESS_DEFAULTS.warnUnboundLogin),
    captureClientInfo: flag('captureClientInfo', options.captureClientInfo, AXESS_DEFAULTS.captureClientInfo),
    noStoreAuthenticated: flag('noStoreAuthenticated', options.noStoreAuthenticated, AXESS_DEFAULTS.noStoreAuthenticated),
    clearSiteDataOnLogout: flag('clearSiteDataOnLogout', options.clearSiteDataOnLogout, AXESS_DEFAULTS.clearSiteDataOnLogout),
    mountMiddleware,
    commandTimeoutMs,
    durableWrites,
    localCache,
    telemetry: resolveTelemetry(options.telemetry),
    migrateFrom: resolveMigrateFrom(options.migrateFrom, store),
  };
}

function resolveTelemetry(given: unknown): ResolvedAxessOptions['telemetry'] {
  if (given === undefined || given === null) return { metrics: true, traces: true };
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new AxessOptionsError('telemetry', 'must be an object: { metrics?, traces?, meterProvider?, tracerProvider? }.');
  }
  const { metrics, traces, meterProvider, tracerProvider } = given as AxessTelemetryOptions;
  if (meterProvider !== undefined && typeof (meterProvider as { getMeter?: unknown } | null)?.getMeter !== 'function') {
    throw new AxessOptionsError('telemetry.meterProvider', 'must be an OpenTelemetry MeterProvider (with getMeter()).');
  }
  if (tracerProvider !== undefined && typeof (tracerProvider as { getTracer?: unknown } | null)?.getTracer !== 'function') {
    throw new AxessOptionsError('telemetry.tracerProvider', 'must be an OpenTelemetry TracerProvider (with getTracer()).');
  }
  return {
    metrics: flag('telemetry.metrics', metrics, true),
    traces: flag('telemetry.traces', traces, true),
    ...(meterProvider === undefined ? {} : { meterProvider }),
    ...(tracerProvider === undefined ? {} : { tracerProvider }),
  };
}

function resolveDurableWrites(given: unknown, commandTimeoutMs: number): DurableWritesOptions | undefined {
  if (given === undefined || given === null) return undefined;
  assertDurableWrites(given);
  // A WAIT that outlasts the command timeout is cut off as a timeout, never as a typed `replication` failure.
  if (given.timeoutMs >= commandTimeoutMs) {
    throw new AxessOptionsError(
      'durableWrites',
      `timeoutMs (${given.timeoutMs} ms) must be below commandTimeoutMs (${commandTimeoutMs} ms).`,
    );
  }
  return { replicas: given.replicas, timeoutMs: given.timeoutMs };
}

function resolveCipher(options: AxessSessionModuleOptions): SessionCipher {
  if (options.cipher) return options.cipher;
  if (flag('plaintext', options.plaintext, false)) {
    if (options.encryptionKey !== undefined)
      throw new AxessOptionsError('plaintext', 'cannot be combined with `encryptionKey`; choose one.');
    return new PlaintextSessionCipher();
  }
  if (options.encryptionKey === undefined) {
    throw new AxessOptionsError(
      'encryptionKey',
      'is required: 32 random bytes, base64 (e.g. `openssl rand -base64 32`); or opt into `plaintext: true`.',
    );
  }
  const previous = options.previousEncryptionKeys ?? [];
  if (!Array.isArray(previous)) throw new AxessOptionsError('previousEncryptionKeys', 'must be an array of 32-byte keys.');
  return new AesGcmSessionCipher(options.encryptionKey, previous);
}

function resolveClock(clock: Clock | undefined): Clock {
  if (clock === undefined || clock === null) return new SystemClock();
  // nowMs() is what the registry and the session layer call: an object without it would fail at the first login.
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function' || typeof clock.nowMs !== 'function') {
    throw new AxessOptionsError('clock', 'must be a Clock (extend Clock, or give an object with now(): Date and nowMs(): number).');
  }
  return clock;
}

function resolveUserIdFrom(custom: AxessSessionModuleOptions['userIdFrom'] | null): (user: unknown) => string | undefined {
  if (custom !== undefined && custom !== null && typeof custom !== 'function') {
    throw new AxessOptionsError('userIdFrom', 'must be a function (user) => id.');
  }
  const read = custom ?? defaultUserId;
  return (user) => {
    const id = read(user);
    if (id === undefined || id === null || id === '') return undefined;
    return String(id);
  };
}

function resolvePassportUserId(
  custom: AxessSessionModuleOptions['passportUserId'] | null,
  userIdFrom: (user: unknown) => string | undefined,
): (serialized: unknown) => string | undefined {
  if (custom !== undefined && custom !== null && typeof custom !== 'function') {
    throw new AxessOptionsError('passportUserId', "must be a function (serialized) => id of what passport's serializeUser stored.");
  }
  return (serialized) => {
    // An object (the NestJS docs serialize the whole user) is read like `req.user`, then its `userId`.
    const id = custom
      ? custom(serialized)
      : typeof serialized === 'object'
        ? (userIdFrom(serialized) ?? objectUserId(serialized))
        : serialized;
    if ((typeof id !== 'string' && typeof id !== 'number' && typeof id !== 'bigint') || id === '') return undefined;
    return String(id);
  };
}

function objectUserId(value: unknown): unknown {
  return value === null ? undefined : (value as { userId?: unknown }).userId;
}

function defaultUserId(user: unknown): string | number | undefined {
  if (typeof user !== 'object' || user === null) return undefined;
  const { id, sub } = user as { id?: unknown; sub?: unknown };
  const value = id ?? sub;
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}

/** A boolean option: unset (undefined or null) takes the default; anything but a boolean is refused (the string 'false' is truthy). */
function flag(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new AxessOptionsError(option, `must be true or false, not a value of type ${typeof value}.`);
  return value;
}

function positiveInteger(option: string, value: unknown): number {
  assertWholeNumber(value, option);
  return value;
}
