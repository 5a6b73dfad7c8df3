import { LOG_PACE_MS, PacedLogger } from './paced-logger.js';
import type { SessionStoreError } from './session-store.error.js';

/** At most one line per reason in this many ms: a failing Valkey must be seen, not flood the logs. */
export const STORE_FAILURE_LOG_INTERVAL_MS = LOG_PACE_MS;

/**
 * Where the module reports failures of the session store: an error line naming the reason
 * (`out-of-memory`, `read-only-replica`, `timeout`, `unreachable`...), at most once per reason
 * every {@link STORE_FAILURE_LOG_INTERVAL_MS}. One per module instance (a provider), paced in real
 * time, not by the injected Clock: this paces logs, it decides nothing about sessions.
 */
export class StoreFailureLog {
  private readonly log = new PacedLogger();

  report(error: SessionStoreError, during: string): void {
    this.log.error(error.reason, `Session store failing (${error.reason}) during ${during}: ${error.message}`);
  }
}
