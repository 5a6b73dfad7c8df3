import type { OnModuleDestroy } from '@nestjs/common';
import type { ResolvedAxessOptions } from './axess-session.resolved-options.js';
import { ValkeyConnection } from './valkey/valkey-connection.js';

/**
 * Where the module keeps sessions: Valkey through a connection (its own, or the app's client),
 * or this process's memory. Always a value, never `null`, so that every provider built on it
 * resolves; the connection it created is closed with the application.
 */
export class SessionBackend implements OnModuleDestroy {
  private constructor(
    readonly kind: 'valkey' | 'memory',
    readonly connection: ValkeyConnection | undefined,
  ) {}

  static from(options: ResolvedAxessOptions): SessionBackend {
    if (options.store === 'memory') return new SessionBackend('memory', undefined);
    const { client, connection } = options.raw;
    return new SessionBackend(
      'valkey',
      client ? ValkeyConnection.borrow(client) : ValkeyConnection.create(connection!, options.commandTimeoutMs),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.connection?.onModuleDestroy();
  }
}
