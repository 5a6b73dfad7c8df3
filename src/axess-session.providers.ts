import type { Provider } from '@nestjs/common';
import { AXESS_SESSION_MODULE_OPTIONS } from './axess-session.module-definition.js';
import type { AxessSessionModuleOptions } from './axess-session.options.js';
import { resolveAxessOptions, type ResolvedAxessOptions } from './axess-session.resolved-options.js';
import { AXESS_SESSION_OPTIONS } from './axess-session.tokens.js';
import { Clock } from './clock/clock.js';
import { SessionCipher } from './crypto/session-cipher.js';
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
  {
    provide: SessionStore,
    useFactory: (o: ResolvedAxessOptions, connection: ValkeyConnection | null): SessionStore =>
      connection
        ? new ValkeySessionStore(connection.client, o.cipher, { prefix: o.keys.prefix, maxPayloadBytes: o.maxPayloadBytes, durableWrites: o.raw.durableWrites })
        : new InMemorySessionStore({ clock: o.clock, cipher: o.cipher, maxPayloadBytes: o.maxPayloadBytes }),
    inject: [AXESS_SESSION_OPTIONS, ValkeyConnection],
  },
];

/** What the module exports to the app. */
export const axessCoreExports = [AXESS_SESSION_OPTIONS, ValkeyConnection, Clock, SessionCipher, SessionStore];
