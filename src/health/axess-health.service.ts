import { Inject, Injectable } from '@nestjs/common';
import { ValkeyConnection } from '../valkey/valkey-connection.js';

/** Result of {@link AxessHealthService.check}. */
export interface AxessHealthResult {
  status: 'up' | 'down';
  backend: 'valkey' | 'memory';
  /** Round-trip time of the PING, when it answered. */
  latencyMs?: number;
  /** Why it is down (never includes keys or session data). */
  error?: string;
}

/**
 * Liveness of the session backend: a PING bounded by a timeout. Use it from a plain controller
 * or wrap it in a `@nestjs/terminus` HealthIndicator.
 */
@Injectable()
export class AxessHealthService {
  constructor(@Inject(ValkeyConnection) private readonly connection: ValkeyConnection | null) {}

  async check(timeoutMs = 1000): Promise<AxessHealthResult> {
    if (!this.connection) return { status: 'up', backend: 'memory', latencyMs: 0 };
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no PING reply within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([this.connection.client.ping(), timeout]);
      return { status: 'up', backend: 'valkey', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
    } catch (error) {
      return { status: 'down', backend: 'valkey', error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
