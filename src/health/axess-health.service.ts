import { Injectable } from '@nestjs/common';
import { SessionStore } from '../store/session-store.js';

/** Result of {@link AxessHealthService.check}. */
export interface AxessHealthResult {
  /** `up` when the PING answered in time. */
  status: 'up' | 'down';
  /** `valkey`, `memory`, or what a store of your own reports. */
  backend: string;
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
  constructor(private readonly store: SessionStore) {}

  /** PINGs the store; `down` (never a throw) when it fails or takes longer than `timeoutMs`. */
  async check(timeoutMs = 1000): Promise<AxessHealthResult> {
    const backend = this.store.backend;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no PING reply within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([this.store.ping(), timeout]);
      return { status: 'up', backend, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
    } catch (error) {
      return { status: 'down', backend, error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
