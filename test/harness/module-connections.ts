import { ValkeyConnection, type ValkeyClient } from '../../src/internal';

/**
 * Valkey clients configured exactly as the module configures one from `connection` options, and
 * opened as the module opens its own at init. `closeAll()` after the file.
 */
export class ModuleConnections {
  private readonly opened: ValkeyConnection[] = [];

  client<T extends ValkeyClient>(options: Parameters<typeof ValkeyConnection.create>[0], commandTimeoutMs = 1_000): T {
    const connection = ValkeyConnection.create(options, commandTimeoutMs);
    this.opened.push(connection);
    connection.open();
    return connection.client as T;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.opened.map((c) => c.onModuleDestroy()));
  }
}
