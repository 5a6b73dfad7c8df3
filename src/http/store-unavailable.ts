import { ServiceUnavailableException } from '@nestjs/common';
import { SessionStoreError } from '../errors/session-store.error.js';

/** True for a failure of the backend itself (unreachable, timed out, error reply, too few replicas acknowledged). */
export function isBackendFailure(error: unknown): error is SessionStoreError {
  return error instanceof SessionStoreError && (error.kind === 'connection' || error.kind === 'command' || error.kind === 'replication');
}

/**
 * A backend failure as an HTTP 503 carrying it as `cause`; anything else is returned as is.
 * Users are not signed out silently when Valkey is down: the request fails and can be retried.
 */
export function asServiceUnavailable(error: unknown, message = 'Session store unavailable'): unknown {
  if (!isBackendFailure(error)) return error;
  return new ServiceUnavailableException(message, { cause: error });
}
