import type { Provider } from '@nestjs/common';
import { AXESS_SESSION_MODULE_OPTIONS } from './axess-session.module-definition.js';
import type { AxessSessionModuleOptions } from './axess-session.options.js';
import { resolveAxessOptions, type ResolvedAxessOptions } from './axess-session.resolved-options.js';
import { AXESS_SESSION_OPTIONS } from './axess-session.tokens.js';
import { Clock } from './clock/clock.js';
import { SessionCipher } from './crypto/session-cipher.js';
import type { ValkeyStoreError } from './errors/valkey-store.error.js';
import { AxessSessionEvents } from './events/axess-session.events.js';
import { CookieSigner } from './http/cookie-signer.js';
import { SessionCommitter } from './http/session-committer.js';
import { SessionCookie } from './http/session-cookie.js';
import { InMemorySessionRegistry } from './registry/in-memory-session.registry.js';
import { SessionRegistry } from './registry/session-registry.js';
import { ValkeySessionRegistry } from './registry/valkey-session.registry.js';
import { AxessHealthService } from './health/axess-health.service.js';
import { AxessSessionService } from './session/axess-session.service.js';
import { InMemorySessionStore } from './store/in-memory-session.store.js';
import { SessionStore } from './store/session-store.js';
import { ValkeySessionStore } from './store/valkey-session.store.js';
import { ValkeyConnection } from './valkey/valkey-connection.js';

/** The services every AxessSessionModule instance provides, built from the resolved options. */
export const axessCoreProviders: Provider[] = [
  {
    provide: AXESS_SESSION_OPTIONS,
    useFactory: (options: AxessSessionModuleOptions) => resolveAxessOptions(options),
    inject: [AXESS_SESSION_MODULE_OPTIONS],
  },
  {
    provide: ValkeyConnection,
    useFactory: (o: ResolvedAxessOptions): ValkeyConnection | null => {
      if (o.store === 'memory') return null;
      return o.raw.client ? ValkeyConnection.borrow(o.raw.client) : ValkeyConnection.create(o.raw.connection!, o.commandTimeoutMs);
    },
    inject: [AXESS_SESSION_OPTIONS],
  },
  { provide: Clock, useFactory: (o: ResolvedAxessOptions) => o.clock, inject: [AXESS_SESSION_OPTIONS] },
  { provide: SessionCipher, useFactory: (o: ResolvedAxessOptions) => o.cipher, inject: [AXESS_SESSION_OPTIONS] },
  AxessSessionEvents,
  {
    provide: SessionStore,
    useFactory: (o: ResolvedAxessOptions, connection: ValkeyConnection | null, events: AxessSessionEvents): SessionStore => {
      const onUnreadable = (sessionId: string, error: ValkeyStoreError) => events.emit({ type: 'rejected', sessionId, reason: unreadableReason(error) });
      return connection
        ? new ValkeySessionStore(connection.client, o.cipher, { prefix: o.keys.prefix, maxPayloadBytes: o.maxPayloadBytes, durableWrites: o.durableWrites, onUnreadable })
        : new InMemorySessionStore({ clock: o.clock, cipher: o.cipher, maxPayloadBytes: o.maxPayloadBytes, onUnreadable });
    },
    inject: [AXESS_SESSION_OPTIONS, ValkeyConnection, AxessSessionEvents],
  },
  {
    provide: SessionRegistry,
    useFactory: (o: ResolvedAxessOptions, connection: ValkeyConnection | null, store: SessionStore): SessionRegistry =>
      connection
        ? new ValkeySessionRegistry(connection.client, { store, clock: o.clock, prefix: o.keys.prefix, lifetimeMs: o.absoluteTimeoutMs })
        : new InMemorySessionRegistry({ store, clock: o.clock, lifetimeMs: o.absoluteTimeoutMs }),
    inject: [AXESS_SESSION_OPTIONS, ValkeyConnection, SessionStore],
  },
  // null without a signing key: only the HTTP layer needs one, and its middleware says so at boot.
  { provide: CookieSigner, useFactory: (o: ResolvedAxessOptions) => (o.signingKey ? new CookieSigner(o.signingKey) : null), inject: [AXESS_SESSION_OPTIONS] },
  {
    provide: SessionCookie,
    useFactory: (o: ResolvedAxessOptions, signer: CookieSigner | null) => (signer ? new SessionCookie(o.cookie, signer) : null),
    inject: [AXESS_SESSION_OPTIONS, CookieSigner],
  },
  SessionCommitter,
  AxessSessionService,
  AxessHealthService,
];

/** What the module exports to the app. */
export const axessCoreExports = [
  AXESS_SESSION_OPTIONS,
  ValkeyConnection,
  Clock,
  SessionCipher,
  SessionStore,
  SessionRegistry,
  CookieSigner,
  SessionCookie,
  SessionCommitter,
  AxessSessionService,
  AxessHealthService,
  AxessSessionEvents,
];

/** The `rejected` reason for a stored record that could not be read. */
function unreadableReason(error: ValkeyStoreError): string {
  if (error.kind === 'decrypt') return 'undecryptable';
  if (error.kind === 'codec') return 'undecodable';
  return error.kind;
}
