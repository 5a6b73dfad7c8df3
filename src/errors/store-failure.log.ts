import { PacedLogger } from './paced-logger.js';
import type { SessionStoreError } from './session-store.error.js';

/** Where the module reports store failures: an error line naming the reason, paced per reason (one per module instance). */
export class StoreFailureLog {
  private readonly log = new PacedLogger();

  report(error: SessionStoreError, during: string): void {
    this.log.error(error.reason, `Session store failing (${error.reason}) during ${during}: ${error.message}`);
  }
}
