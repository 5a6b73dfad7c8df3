import type { Provider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SessionBackend } from './axess-session.backend.js';
import { AXESS_SESSION_MODULE_OPTIONS } from './axess-session.module-definition.js';
import type { AxessSessionModuleOptions } from './axess-session.options.js';
import { resolveAxessOptions, type ResolvedAxessOptions } from './axess-session.resolved-options.js';
import { AxessRequestMount } from './axess-session.request-mount.js';
import { AXESS_SESSION_OPTIONS } from './axess-session.tokens.js';
import { PassportSessionBinding } from './compat/passport-session.binding.js';
import { SessionViewServices } from './compat/session-view.services.js';
import { UnboundLoginWarning } from './compat/unbound-login.warning.js';
import { CachingSessionStore } from './cache/caching-session.store.js';
import { observeLocalCache } from './cache/local-cache.metrics.js';
import { Clock } from './clock/clock.js';
import { SessionCipher } from './crypto/session-cipher.js';
import { SessionHandles } from './crypto/session-handle.js';
import type { SessionStoreError } from './errors/session-store.error.js';
import { StoreFailureLog } from './errors/store-failure.log.js';
import { AxessSessionEvents } from './events/axess-session-events.service.js';
import { AxessHealthService } from './health/axess-health.service.js';
import { CookieSigner } from './http/cookie-signer.js';
import { LegacySessionImport, NO_LEGACY_SESSION_IMPORT } from './http/legacy-session-import.js';
import { SessionCommitter } from './http/session-committer.js';
import { ResponseCachePolicy } from './http/response-cache-policy.js';
import { SessionCookie } from './http/session-cookie.js';
import { AxessSessionMiddleware } from './http/session.middleware.js';
import { PendingAdmission } from './http/pending-admission.js';
import { DeferredAdmission } from './session/deferred-admission.js';
import { LegacySessionImporter } from './migration/legacy-session.importer.js';
import { passportValue, type LegacySessionData } from './migration/legacy-session.options.js';
import { InMemorySessionRegistry } from './registry/in-memory-session.registry.js';
import { SessionRegistry } from './registry/session-registry.js';
import { AxessSessionService } from './session/axess-session.service.js';
import { LoginPolicy } from './session/login-policy.js';
import { InMemorySessionStore } from './store/in-memory-session.store.js';
import { GONE_MARKER_TTL_MS, SessionLifetime } from './store/session-lifetime.js';
import { SessionStore } from './store/session-store.js';
import { AxessTelemetry } from './telemetry/axess-telemetry.js';
import { instrumentRegistry } from './telemetry/instrumented-session.registry.js';
import { instrumentStore } from './telemetry/instrumented-session.store.js';
import { ValkeySessionRegistry } from './valkey/valkey-session.registry.js';
import { ValkeySessionStore } from './valkey/valkey-session.store.js';
import { ValkeyEventRelay } from './valkey/valkey-event.relay.js';
import { AxessWebSocketSessions } from './ws/websocket-sessions.js';

/** The services every AxessSessionModule instance provides, built from the resolved options. None resolves to `null`. */
export const axessCoreProviders: Provider[] = [
  {
    provide: AXESS_SESSION_OPTIONS,
    useFactory: (options: AxessSessionModuleOptions) => resolveAxessOptions(options),
    inject: [AXESS_SESSION_MODULE_OPTIONS],
  },
  { provide: SessionBackend, useFactory: (o: ResolvedAxessOptions) => SessionBackend.from(o), inject: [AXESS_SESSION_OPTIONS] },
  { provide: Clock, useFactory: (o: ResolvedAxessOptions) => o.clock, inject: [AXESS_SESSION_OPTIONS] },
  { provide: SessionCipher, useFactory: (o: ResolvedAxessOptions) => o.cipher, inject: [AXESS_SESSION_OPTIONS] },
  {
    provide: SessionLifetime,
    useFactory: (o: ResolvedAxessOptions) =>
      new SessionLifetime(o.idleTimeoutMs, o.absoluteTimeoutMs, o.anonymousIdleTimeoutMs, o.rememberMe),
    inject: [AXESS_SESSION_OPTIONS],
  },
  {
    provide: LoginPolicy,
    // The same marker lifetime as SessionLifetime.goneMarkerTtlMs.
    useFactory: (o: ResolvedAxessOptions) =>
      new LoginPolicy(
        o.maxSessionsPerUser,
        o.failOpen,
        o.captureClientInfo,
        o.userIdFrom,
        Math.min(GONE_MARKER_TTL_MS, o.idleTimeoutMs),
        o.passportUserId,
        o.onSessionLimit,
        o.rememberMe.from,
      ),
    inject: [AXESS_SESSION_OPTIONS],
  },
  AxessSessionEvents,
  StoreFailureLog,
  { provide: AxessTelemetry, useFactory: (o: ResolvedAxessOptions) => new AxessTelemetry(o.telemetry), inject: [AXESS_SESSION_OPTIONS] },
  {
    provide: SessionStore,
    // The Clock comes from its provider, not the options: overrideProvider(Clock) reaches every part.
    useFactory: (
      o: ResolvedAxessOptions,
      backend: SessionBackend,
      events: AxessSessionEvents,
      clock: Clock,
      telemetry: AxessTelemetry,
      lifetime: SessionLifetime,
    ): SessionStore => {
      const onUnreadable = (sessionId: string, error: SessionStoreError) => {
        telemetry.storeError('load', error);
        events.emit({ type: 'rejected', sessionId, reason: unreadableReason(error) });
      };
      const store = o.custom
        ? o.custom.sessions
        : backend.connection
          ? new ValkeySessionStore(backend.connection.client, o.cipher, {
              prefix: o.keys.prefix,
              maxPayloadBytes: o.maxPayloadBytes,
              durableWrites: o.durableWrites,
              onUnreadable,
            })
          : new InMemorySessionStore({ clock, cipher: o.cipher, maxPayloadBytes: o.maxPayloadBytes, onUnreadable });
      // Every call recorded (metrics and spans); the registry below gets this store too.
      const recorded = instrumentStore(store, telemetry);
      if (!backend.invalidations || !o.localCache) return recorded;
      // The local cache goes on top: the store's metrics count what reaches Valkey, hits send nothing.
      const cached = new CachingSessionStore(recorded, backend.invalidations, lifetime, clock, o.localCache);
      observeLocalCache(telemetry.meter, cached.stats);
      return cached;
    },
    inject: [AXESS_SESSION_OPTIONS, SessionBackend, AxessSessionEvents, Clock, AxessTelemetry, SessionLifetime],
  },
  {
    provide: SessionRegistry,
    // A user's registry outlives the longest session it may list (a remembered one's, by default).
    useFactory: (o: ResolvedAxessOptions, backend: SessionBackend, store: SessionStore, clock: Clock, telemetry: AxessTelemetry) =>
      instrumentRegistry(
        o.custom && o.custom.registry !== 'memory'
          ? o.custom.registry
          : backend.connection
            ? new ValkeySessionRegistry(backend.connection.client, {
                store,
                clock,
                prefix: o.keys.prefix,
                lifetimeMs: Math.max(o.absoluteTimeoutMs, o.rememberMe.absoluteTimeoutMs),
                durableWrites: o.durableWrites,
              })
            : new InMemorySessionRegistry({ store, clock, lifetimeMs: Math.max(o.absoluteTimeoutMs, o.rememberMe.absoluteTimeoutMs) }),
        telemetry,
        backend.kind,
      ),
    inject: [AXESS_SESSION_OPTIONS, SessionBackend, SessionStore, Clock, AxessTelemetry],
  },
  {
    // Without a signing key the cookie exists but refuses to work: only the HTTP layer needs the key.
    provide: SessionCookie,
    useFactory: (o: ResolvedAxessOptions) => new SessionCookie(o.cookie, o.signingKey ? new CookieSigner(o.signingKey) : undefined),
    inject: [AXESS_SESSION_OPTIONS],
  },
  {
    provide: ResponseCachePolicy,
    useFactory: (o: ResolvedAxessOptions) => new ResponseCachePolicy(o.noStoreAuthenticated, o.clearSiteDataOnLogout),
    inject: [AXESS_SESSION_OPTIONS],
  },
  // Public handles of sessions (device lists, revocation URLs), keyed by the signing key; refuse to work without it.
  { provide: SessionHandles, useFactory: (o: ResolvedAxessOptions) => new SessionHandles(o.signingKey), inject: [AXESS_SESSION_OPTIONS] },
  SessionCommitter,
  AxessSessionService,
  AxessHealthService,
  {
    // Sign-ins and ended sessions told to the app's other instances, and theirs to this one (Valkey only).
    provide: ValkeyEventRelay,
    useFactory: (o: ResolvedAxessOptions, backend: SessionBackend, events: AxessSessionEvents) =>
      new ValkeyEventRelay(backend.connection?.client, events, { prefix: o.keys.prefix, cipher: o.cipher }),
    inject: [AXESS_SESSION_OPTIONS, SessionBackend, AxessSessionEvents],
  },
  // Sessions of WebSockets (AxessWsAdapter, AxessIoAdapter): listens to session events only from the first upgrade on.
  AxessWebSocketSessions,
  // express-session's `req.session` and passport's session mode over the axess session.
  PassportSessionBinding,
  SessionViewServices,
  UnboundLoginWarning,
  {
    // Built while Nest creates the app: the session is on requests before anything main.ts mounts.
    provide: AxessRequestMount,
    useFactory: (
      host: HttpAdapterHost,
      o: ResolvedAxessOptions,
      views: SessionViewServices,
      unbound: UnboundLoginWarning,
      cookie: SessionCookie,
      store: SessionStore,
      clock: Clock,
      lifetime: SessionLifetime,
      events: AxessSessionEvents,
      committer: SessionCommitter,
      failures: StoreFailureLog,
      telemetry: AxessTelemetry,
      legacy: LegacySessionImport,
      cachePolicy: ResponseCachePolicy,
      pending: PendingAdmission,
    ) => {
      // Only when it is to be mounted: without a signing key the middleware refuses to exist.
      const middleware =
        o.mountMiddleware && cookie.configured
          ? new AxessSessionMiddleware(store, clock, lifetime, cookie, events, committer, failures, telemetry, legacy, cachePolicy, pending)
          : undefined;
      return new AxessRequestMount(host, o, views, unbound, middleware);
    },
    inject: [
      HttpAdapterHost,
      AXESS_SESSION_OPTIONS,
      SessionViewServices,
      UnboundLoginWarning,
      SessionCookie,
      SessionStore,
      Clock,
      SessionLifetime,
      AxessSessionEvents,
      SessionCommitter,
      StoreFailureLog,
      AxessTelemetry,
      LegacySessionImport,
      ResponseCachePolicy,
      PendingAdmission,
    ],
  },
  // A failOpen login's registration, completed on its first request once the registry answers.
  { provide: PendingAdmission, useClass: DeferredAdmission },
  {
    // The import of express-session / @fastify/session sessions (`migrateFrom`); a hook that never applies without it.
    provide: LegacySessionImport,
    useFactory: (
      o: ResolvedAxessOptions,
      backend: SessionBackend,
      sessions: AxessSessionService,
      committer: SessionCommitter,
      failures: StoreFailureLog,
    ): LegacySessionImport => {
      const from = o.migrateFrom;
      if (!from) return NO_LEGACY_SESSION_IMPORT;
      // Validated at boot: without a client of its own, the source is on the module's Valkey.
      const client = from.client ?? backend.connection!.client;
      const userIdOf = from.userId ?? ((data: LegacySessionData) => o.passportUserId(passportValue(data)));
      return new LegacySessionImporter(from, client, userIdOf, sessions, committer, failures);
    },
    inject: [AXESS_SESSION_OPTIONS, SessionBackend, AxessSessionService, SessionCommitter, StoreFailureLog],
  },
];

/**
 * What the module exports: everything an app injects, and what the guards and the middleware
 * need when they are used in (or mounted by) another module.
 */
export const axessCoreExports = [
  AXESS_SESSION_OPTIONS,
  SessionBackend,
  Clock,
  SessionCipher,
  SessionLifetime,
  LoginPolicy,
  SessionStore,
  SessionRegistry,
  SessionCookie,
  SessionCommitter,
  AxessSessionService,
  AxessHealthService,
  AxessSessionEvents,
  StoreFailureLog,
  AxessTelemetry,
  LegacySessionImport,
  PendingAdmission,
];

/** The `rejected` reason for a stored record that could not be read. */
function unreadableReason(error: SessionStoreError): string {
  if (error.kind === 'decrypt') return 'undecryptable';
  if (error.kind === 'codec') return 'undecodable';
  return error.kind;
}
