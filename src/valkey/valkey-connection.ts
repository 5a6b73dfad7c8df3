import type { OnModuleDestroy } from '@nestjs/common';
import { PacedLogger } from '../errors/paced-logger.js';
import { Cluster, Redis, type RedisOptions } from 'iovalkey';
import type { AxessConnectionOptions } from './valkey-connection.options.js';
import type { ValkeyClient } from './valkey-client.js';

/**
 * The Valkey client the module uses. A client the app passed in is never closed; one the module
 * created from connection options is quit when the application shuts down.
 */
export class ValkeyConnection implements OnModuleDestroy {
  private readonly log = new PacedLogger();

  private constructor(
    readonly client: ValkeyClient,
    private readonly owned: boolean,
  ) {}

  /** Wraps an app-owned client. */
  static borrow(client: ValkeyClient): ValkeyConnection {
    return new ValkeyConnection(client, false);
  }

  /**
   * Creates a client from options: Cluster when `clusterNodes` is set, Sentinel when `sentinels`
   * is, otherwise standalone. Defaults favour bounded failure and latency: a command timeout, one
   * retry per request, and no auto-pipelining (`enableAutoPipelining: false`). Auto-pipelining
   * defers each command to the next tick to batch it with others, which delays the lone command a
   * request sends; it only pays off when many commands start in one tick (see bench/RESULTS.md).
   * Set it to `true` in `connection` for batch-heavy work.
   *
   * The client connects when the module initialises ({@link open}), not when it is created: a boot
   * that fails before then (a missing provider, say) leaves no socket reconnecting forever and
   * keeping the process alive.
   */
  static create(options: AxessConnectionOptions, commandTimeoutMs: number): ValkeyConnection {
    const { url, clusterNodes, clusterOptions, sentinels, ...rest } = options;
    const base: RedisOptions = {
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: false,
      lazyConnect: true,
      ...rest,
    };
    let client: ValkeyClient;
    if (clusterNodes) {
      client = new Cluster(clusterNodes, {
        enableAutoPipelining: false,
        lazyConnect: true,
        ...clusterOptions,
        redisOptions: { ...base, ...clusterOptions?.redisOptions },
      });
    } else if (sentinels) {
      client = new Redis({ ...base, sentinels });
    } else if (url) {
      client = new Redis(url, base);
    } else {
      client = new Redis(base);
    }
    const connection = new ValkeyConnection(client, true);
    client.on('error', (error: Error) => connection.logError(error));
    return connection;
  }

  /**
   * Starts connecting a client this connection created and has not connected yet (a first
   * command would too). Not awaited by the boot: Valkey down at boot must not hold it.
   */
  open(): void {
    if (this.owned && this.client.status === 'wait') this.client.connect().catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.owned) return;
    // Never connected: nothing to say goodbye to (QUIT would open a connection first).
    if (this.client.status === 'wait') {
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  /** Paced: a down Valkey must not flood the logs. */
  private logError(error: Error): void {
    this.log.error('connection', `Valkey connection error: ${error.message}`);
  }
}
