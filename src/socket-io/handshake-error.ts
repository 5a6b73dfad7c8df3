import type { UpgradeRefused } from '../ws/upgrade-decision.js';

/** The `data` of the `connect_error` a refused socket.io client gets. */
export interface HandshakeRefusal {
  /** What an HTTP upgrade would have been answered: 401, 403, 500 or 503. */
  statusCode: number;
  /** The ended session's reason when known, else `unauthenticated`, `origin-not-allowed`, `store-unavailable` or `internal-error`. */
  reason: string;
}

const DEFAULT_REASONS: Record<UpgradeRefused['status'], string> = {
  401: 'unauthenticated',
  403: 'origin-not-allowed',
  500: 'internal-error',
  503: 'store-unavailable',
};

/** The error a socket.io middleware hands to `next`: the client's `connect_error`, with `{ statusCode, reason }` in `err.data`. */
export function handshakeError(refused: UpgradeRefused): Error & { data: HandshakeRefusal } {
  const reason = typeof refused.body.reason === 'string' ? refused.body.reason : DEFAULT_REASONS[refused.status];
  const message = typeof refused.body.message === 'string' ? refused.body.message : 'Refused';
  return Object.assign(new Error(message), { data: { statusCode: refused.status, reason } });
}
