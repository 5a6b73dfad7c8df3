import { AxessOptionsError } from './errors/axess-options.error.js';
import { SessionRegistry } from './registry/session-registry.js';
import { SessionStore } from './store/session-store.js';
import { CAPABILITY_METHODS, type SessionStoreCapability } from './store/store-capabilities.js';

/**
 * A backend of the app's own (`store: { sessions, registry }`); see docs/custom-backends.md.
 *
 * @example
 * AxessSessionModule.forRoot({ store: { sessions: new MySessionStore(), registry: 'memory' }, signingKey, encryptionKey })
 */
export interface AxessCustomStore {
  /** The session store: an instance of a class extending `SessionStore` (four methods; capabilities optional). */
  sessions: SessionStore;
  /**
   * The per-user registry: an instance of a class extending `SessionRegistry`, or `'memory'` for
   * this process's memory (`InMemorySessionRegistry` over `sessions`): caps then hold per process,
   * so only for a single instance.
   */
  registry: SessionRegistry | 'memory';
}

/**
 * What a configured feature needs that only the Valkey store offers (a custom store fails the boot
 * with it), beyond the capabilities of `SessionStore`.
 */
const VALKEY_FEATURES = {
  localCache: "its copies are kept coherent by Valkey's client tracking (and need the store's native `expiry` capability)",
  durableWrites: 'it waits for replicas with Valkey `WAIT`',
} as const;

/** Validates `store` when it is an object: a custom backend. */
export function resolveCustomStore(given: object): AxessCustomStore {
  const { sessions, registry } = given as Partial<AxessCustomStore>;
  if (!(sessions instanceof SessionStore)) {
    throw new AxessOptionsError('store.sessions', 'must be an instance of a class extending SessionStore (load, save, delete, cycle).');
  }
  if (registry !== 'memory' && !(registry instanceof SessionRegistry)) {
    throw new AxessOptionsError(
      'store.registry',
      "must be an instance of a class extending SessionRegistry, or 'memory' (this process only: caps hold per instance).",
    );
  }
  return { sessions, registry };
}

/** Fails the boot when a configured feature needs what the custom store `sessions` lacks. */
export function assertCustomStoreFeatures(
  sessions: SessionStore,
  configured: Partial<Record<keyof typeof VALKEY_FEATURES, unknown>>,
): void {
  for (const [feature, why] of Object.entries(VALKEY_FEATURES)) {
    if (configured[feature as keyof typeof VALKEY_FEATURES] !== undefined) {
      throw new AxessOptionsError(feature, `needs the Valkey store: ${why}; store.sessions is a custom store ('${sessions.backend}').`);
    }
  }
}

/** What the boot log says of a custom store: the capabilities it derives, and `listing` if it lacks it. */
export function capabilityNotes(store: SessionStore): string[] {
  const missing = (Object.keys(CAPABILITY_METHODS) as SessionStoreCapability[]).filter((capability) => !store.supports(capability));
  const derived = missing.filter((capability) => capability !== 'listing');
  return [
    ...(derived.length > 0
      ? [`store.sessions offers no ${derived.join(', ')} of its own: derived from load, save, delete and cycle.`]
      : []),
    ...(missing.includes('listing') ? ["store.sessions has no 'listing' capability (sessionIds): revokeEveryone() will throw."] : []),
  ];
}
