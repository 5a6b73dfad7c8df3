/**
 * Server-side sessions and a per-user session registry for NestJS on Valkey: encrypted at rest,
 * atomic max-sessions eviction, one read per request (a `GETEX`).
 *
 * What an app writes: `AxessSessionModule.forRoot(...)`, `@CurrentSession()`, the guards, the
 * service; what a team writing its own backend implements: `SessionStore`, `SessionRegistry`,
 * `SessionCipher`, `Clock`. Test helpers live in `@axess/nestjs-session/testing`.
 * See docs/architecture.md for the layers behind this surface.
 *
 * @packageDocumentation
 * @module \@axess/nestjs-session
 */

// The module and its options.
export { AxessSessionModule } from './axess-session.module.js';
export type { AxessSessionModuleExtras, AxessSessionOptionsFactory } from './axess-session.module-definition.js';
export type { AxessCookieOptions, AxessCustomStore, AxessSessionModuleOptions } from './axess-session.options.js';
export type { AxessConnectionOptions } from './valkey/valkey-connection.options.js';
export type { DurableWritesOptions } from './valkey/durable-writes.js';
export type { AxessLocalCacheOptions } from './cache/local-cache.options.js';
export type { SecretKeyInput } from './crypto/secret-key.js';
export type { ValkeyClient } from './valkey/valkey-client.js';
export type { AxessTelemetryOptions } from './telemetry/axess-telemetry.js';
export type {
  AxessMigrateFromOptions,
  LegacySessionClient,
  LegacySessionData,
  LegacySessionSource,
  LegacySessionTransaction,
} from './migration/legacy-session.options.js';

// Handlers: the request's session and its typed data.
export { AxessSession } from './http/axess-session.js';
export type { AxessSessionDataView, AxessSessionValue } from './http/axess-session.js';
export { CurrentSession } from './http/current-session.decorator.js';
export { AxessSessionNotMountedError, findAxessSession, getAxessSession } from './http/session-request.js';
export { AxessSessionMiddleware } from './http/session.middleware.js';
export type { AxessSessionData, SessionData, SessionRecord } from './codec/session-record.js';

// Logins, caps and session management.
export { AxessSessionService } from './session/axess-session.service.js';
export type { MaxSessionsResolver, MaxSessionsSetting } from './session/login-policy.js';
export type { AxessRememberMeOptions, RememberMeReader } from './session/remember-me.js';
export type { AuthenticateOptions, AuthenticateResult, SessionInfo } from './session/session-info.js';
export { AxessAuthenticatedGuard } from './guards/authenticated.guard.js';
export { MaxSessionsGuard } from './guards/max-sessions.guard.js';
export { MaxSessions } from './guards/max-sessions.decorator.js';
export type { MaxSessionsOptions } from './guards/max-sessions.decorator.js';
export { RequireRecentAuth } from './guards/require-recent-auth.decorator.js';

// Events and health.
export { AxessSessionEvents } from './events/axess-session-events.service.js';
export type { AxessSessionListener } from './events/axess-session-events.service.js';
export { SessionEndReason } from './events/session-event.types.js';
export type {
  AxessSessionEvent,
  AxessSessionEventBase,
  AxessSessionEventOf,
  AxessSessionEventType,
  AxessSessionEvictedEvent,
} from './events/session-event.types.js';
export { AxessHealthService } from './health/axess-health.service.js';
export type { AxessHealthResult } from './health/axess-health.service.js';

// Backends: the abstractions to inject or implement, and the two implementations.
export { SessionStore } from './store/session-store.js';
export type { LoadOptions, SaveMode } from './store/session-store.js';
export type {
  AtomicRotation,
  ExistenceCheck,
  GoneMarkers,
  SessionExpiry,
  SessionListing,
  SessionStoreCapabilities,
  SessionStoreCapability,
} from './store/store-capabilities.js';
export { InMemorySessionStore } from './store/in-memory-session.store.js';
export type { InMemorySessionStoreOptions } from './store/in-memory-session.store.js';
export type { UnreadableRecordHook } from './store/sealed-record.js';
export { ValkeySessionStore } from './valkey/valkey-session.store.js';
export type { ValkeySessionStoreOptions } from './valkey/valkey-session.store.js';
export { SessionRegistry } from './registry/session-registry.js';
export type { AdmitOptions, RegisteredSession } from './registry/session-registry.js';
export type { SessionLimitPolicy } from './registry/session-limit.js';
export { InMemorySessionRegistry } from './registry/in-memory-session.registry.js';
export type { InMemorySessionRegistryOptions } from './registry/in-memory-session.registry.js';
export { ValkeySessionRegistry } from './valkey/valkey-session.registry.js';
export type { ValkeySessionRegistryOptions } from './valkey/valkey-session.registry.js';
export { SessionCipher } from './crypto/session-cipher.js';
export { AesGcmSessionCipher } from './crypto/aes-gcm-session.cipher.js';
export { Clock } from './clock/clock.js';
export { SystemClock } from './clock/system.clock.js';

// Errors.
export { AxessError } from './errors/axess.error.js';
export { AxessOptionsError } from './errors/axess-options.error.js';
export { AxessArgumentError } from './errors/axess-argument.error.js';
export { InvalidIdentifierError } from './errors/invalid-identifier.error.js';
export { SessionStoreError } from './errors/session-store.error.js';
export type { SessionStoreErrorKind } from './errors/session-store.error.js';
export type { AxessGraphqlExtensions } from './errors/graphql-extensions.js';
export { AxessUnsupportedContextError } from './http/session-carrier.js';
export { AxessUnauthorizedException } from './http/unauthorized.exception.js';
export { AxessSessionLimitException, AxessSessionLimitGraphqlError } from './session/session-limit.exception.js';
export { AxessConcurrentRotationException } from './session/session-rotation.js';
