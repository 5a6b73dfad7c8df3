import { ServiceUnavailableException } from '@nestjs/common';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { StoreFailureLog } from '../errors/store-failure.log.js';

/** True for a failure of the backend itself (unreachable, timed out, error reply, too few replicas acknowledged). */
export function isBackendFailure(error: unknown): error is SessionStoreError {
  return error instanceof SessionStoreError && (error.kind === 'connection' || error.kind === 'command' || error.kind === 'replication');
}

/**
 * A backend failure as an HTTP 503 carrying it as `cause` (and logged, paced per reason);
 * anything else is returned as is. Users are not signed out silently when Valkey is down: the
 * request fails and can be retried.
 */
export function asServiceUnavailable(error: unknown, failures: StoreFailureLog, during = 'a request'): unknown {
  if (!isBackendFailure(error)) return error;
  failures.report(error, during);
  return new ServiceUnavailableException('Session store unavailable', { cause: error });
}
