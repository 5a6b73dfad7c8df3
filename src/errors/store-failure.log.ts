import { Logger } from '@nestjs/common';
import type { SessionStoreError } from './session-store.error.js';

/** At most one line per reason in this many ms: a failing Valkey must be seen, not flood the logs. */
export const STORE_FAILURE_LOG_INTERVAL_MS = 5_000;

/**
 * Where the module reports failures of the session store: an error line naming the reason
 * (`out-of-memory`, `read-only-replica`, `timeout`, `unreachable`...), at most once per reason
 * every {@link STORE_FAILURE_LOG_INTERVAL_MS}. One per module instance (a provider), paced in real
 * time, not by the injected Clock: this paces logs, it decides nothing about sessions.
 */
export class StoreFailureLog {
  private readonly logger = new Logger('AxessSession');
  private readonly lastLogged = new Map<string, number>();

  report(error: SessionStoreError, during: string): void {
    const reason = error.reason;
    const now = Date.now();
    const last = this.lastLogged.get(reason);
    if (last !== undefined && now - last < STORE_FAILURE_LOG_INTERVAL_MS) return;
    this.lastLogged.set(reason, now);
    this.logger.error(`Session store failing (${reason}) during ${during}: ${error.message}`);
  }
}
