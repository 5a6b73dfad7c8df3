import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ResolvedAxessOptions } from './axess-session.resolved-options.js';
import { ValkeyInvalidations } from './valkey/valkey-invalidations.js';
import { AxessOptionsError } from './errors/axess-options.error.js';
import { capabilityNotes } from './axess-session.custom-store.js';
import { claimKeyRing } from './valkey/key-ring.js';
import { ValkeyConnection } from './valkey/valkey-connection.js';

/**
 * Where the module keeps sessions: Valkey through a connection (its own, or the app's client),
 * this process's memory, or the app's own store (`custom`). Always a value, never `null`, so
 * that every provider built on it resolves; the connection it created is closed with the application. At boot it claims the key
 * prefix for this deployment's key ring (see `claimKeyRing`). With `localCache`, it also keeps
 * Valkey's tracking of the session keys on the connection (`invalidations`), from boot to shutdown.
 */
export class SessionBackend implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AxessSession');
  /** The invalidations of the local cache (`localCache` on, Valkey store), else `undefined`. */
  readonly invalidations: ValkeyInvalidations | undefined;

  private constructor(
    readonly kind: 'valkey' | 'memory' | 'custom',
    readonly connection: ValkeyConnection | undefined,
    private readonly options: ResolvedAxessOptions,
  ) {
    this.invalidations =
      connection && options.localCache
        ? new ValkeyInvalidations(connection.client, {
            keyPrefix: options.keys.sessionPrefix,
            maxStalenessMs: options.localCache.maxStalenessMs,
          })
        : undefined;
  }

  static from(options: ResolvedAxessOptions): SessionBackend {
    if (options.store !== 'valkey') return new SessionBackend(options.store, undefined, options);
    const { client, connection } = options.raw;
    return new SessionBackend(
      'valkey',
      client ? ValkeyConnection.borrow(client) : ValkeyConnection.create(connection!, options.commandTimeoutMs),
      options,
    );
  }

  async onModuleInit(): Promise<void> {
    // Said once at boot: what runs on defaults derived from the core (docs/custom-backends.md).
    for (const note of this.options.custom ? capabilityNotes(this.options.custom.sessions) : []) this.logger.log(note);
    if (!this.connection) return;
    this.connection.open();
    try {
      // Not awaited: the cache is bypassed until tracking is confirmed, and Valkey down at boot must not hold the boot.
      this.invalidations?.start();
      await claimKeyRing(this.connection.client, this.options.keys, this.options.cipher.keyFingerprints());
    } catch (error) {
      if (error instanceof AxessOptionsError) {
        // The boot fails: Nest will not call onModuleDestroy, so the connection is closed here.
        await this.invalidations?.close();
        await this.connection.onModuleDestroy();
        throw error;
      }
      // Valkey down at boot must not keep the app from starting (it answers 503 until Valkey is back).
      this.logger.warn(`Could not check the key ring under prefix "${this.options.keys.prefix}" (Valkey did not answer); booting anyway.`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.invalidations?.close();
    await this.connection?.onModuleDestroy();
  }
}
