import { ServiceUnavailableException } from '@nestjs/common';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { StoreFailureLog } from '../errors/store-failure.log.js';

/** True for a failure of the backend itself (unreachable, timed out, error reply, too few replicas acknowledged). */
export function isBackendFailure(error: unknown): error is SessionStoreError {
  return error instanceof SessionStoreError && (error.kind === 'connection' || error.kind === 'command' || error.kind === 'replication');
}

/** A backend failure as a logged HTTP 503 with it as `cause` (nobody is signed out by an outage); anything else as is. */
export function asServiceUnavailable(error: unknown, failures: StoreFailureLog, during = 'a request'): unknown {
  if (!isBackendFailure(error)) return error;
  failures.report(error, during);
  return new ServiceUnavailableException('Session store unavailable', { cause: error });
}
