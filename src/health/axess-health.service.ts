import { Injectable } from '@nestjs/common';
import { SessionStoreError } from '../errors/session-store.error.js';
import { StoreFailureLog } from '../errors/store-failure.log.js';
import { SessionStore } from '../store/session-store.js';

/** The rejection of a PING that did not answer in time. */
const TIMED_OUT = new Error('no PING reply in time');

/** Result of {@link AxessHealthService.check}. */
export interface AxessHealthResult {
  /** `up` when the PING answered in time. */
  status: 'up' | 'down';
  /** `valkey`, `memory`, or what a store of your own reports. */
  backend: string;
  /** Round-trip time of the PING, when it answered. */
  latencyMs?: number;
  /** Why it is down, as a fixed text (the client's own error, naming hosts and ports, goes to the log only). */
  error?: 'unavailable' | 'timeout';
}

/**
 * Liveness of the session backend: a PING bounded by a timeout. Use it from a plain controller
 * or wrap it in a `@nestjs/terminus` HealthIndicator.
 */
@Injectable()
export class AxessHealthService {
  /** Created by Nest's injector from the module's providers. @internal */
  constructor(
    private readonly store: SessionStore,
    private readonly failures: StoreFailureLog,
  ) {}

  /** PINGs the store; `down` (never a throw) when it fails or takes longer than `timeoutMs`. */
  async check(timeoutMs = 1000): Promise<AxessHealthResult> {
    const backend = this.store.backend;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(TIMED_OUT), timeoutMs);
      });
      await Promise.race([this.store.ping(), timeout]);
      return { status: 'up', backend, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
    } catch (error) {
      if (error instanceof SessionStoreError) this.failures.report(error, 'a health check');
      return { status: 'down', backend, error: error === TIMED_OUT ? 'timeout' : 'unavailable' };
    } finally {
      clearTimeout(timer);
    }
  }
}
