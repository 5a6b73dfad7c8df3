import { AxessError } from './axess.error.js';

/**
 * What went wrong in a store or registry operation.
 * - `connection`: Valkey is unavailable: it could not be reached, timed out, dropped the
 *   connection, or answered that it cannot serve right now (LOADING, BUSY, READONLY, MASTERDOWN,
 *   CLUSTERDOWN, TRYAGAIN, MISCONF, NOREPLICAS). Retrying later may succeed.
 * - `command`: Valkey refused the command itself (e.g. a wrong key type, OOM).
 * - `codec`: stored bytes are not a session record this version can read.
 * - `decrypt`: stored bytes do not authenticate under any configured key.
 * - `payload-too-large`: the encrypted record exceeds `maxPayloadBytes`.
 * - `replication`: with durable writes on, too few replicas acknowledged a write in time.
 */
export type SessionStoreErrorKind = 'connection' | 'command' | 'codec' | 'decrypt' | 'payload-too-large' | 'replication';

/**
 * A typed failure of the session store or registry, carrying the original `cause`.
 * Messages never include session data or key material.
 */
export class SessionStoreError extends AxessError {
  constructor(
    /** What went wrong; see {@link SessionStoreErrorKind}. */
    readonly kind: SessionStoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * What an operator should read from it, without the client's text: `out-of-memory`,
   * `read-only-replica`, `loading`, `busy-script`, `primary-down`, `cluster-down`, `resharding`,
   * `persistence-failing`, `no-replicas`, `no-permission`, `wrong-type`, `timeout`, `unreachable`,
   * `replication`, or the kind itself (`codec`, `decrypt`, `payload-too-large`, `command`).
   */
  get reason(): string {
    if (this.kind === 'replication') return 'replication';
    const cause = this.cause as { name?: unknown; message?: unknown } | undefined;
    const text = typeof cause?.message === 'string' ? cause.message : '';
    if (cause?.name === 'ReplyError') return REPLY_REASONS[text.split(' ', 1)[0]] ?? this.kind;
    if (this.kind !== 'connection') return this.kind;
    return /timed? ?out/i.test(text) ? 'timeout' : 'unreachable';
  }

  /**
   * Wraps what the Valkey client rejected with: error replies are `command` unless they say the
   * server cannot serve now (`connection`). The `cause` loses its command arguments (keys, records).
   */
  static fromClient(operation: string, cause: unknown): SessionStoreError {
    if (cause instanceof SessionStoreError) return cause;
    const replied = cause instanceof Error && cause.name === 'ReplyError';
    const unavailable = replied && UNAVAILABLE_REPLY.test(cause.message);
    return new SessionStoreError(
      replied && !unavailable ? 'command' : 'connection',
      `Valkey ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause: redactCommandArgs(cause) },
    );
  }
}

/** Error-reply codes, as operators name them. */
const REPLY_REASONS: Record<string, string> = {
  OOM: 'out-of-memory',
  READONLY: 'read-only-replica',
  LOADING: 'loading',
  BUSY: 'busy-script',
  MASTERDOWN: 'primary-down',
  CLUSTERDOWN: 'cluster-down',
  TRYAGAIN: 'resharding',
  MISCONF: 'persistence-failing',
  NOREPLICAS: 'no-replicas',
  NOPERM: 'no-permission',
  WRONGTYPE: 'wrong-type',
};

/** Error replies that say the server cannot serve right now: availability, not a bad command. */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MISCONF|NOREPLICAS)\b/;

/** Drops the `args` of iovalkey's `command: { name, args }` in place (also in `previousErrors` and `lastNodeError`). */
function redactCommandArgs(error: unknown, depth = 0): unknown {
  if (typeof error !== 'object' || error === null || depth > 3) return error;
  const carrier = error as { command?: unknown; previousErrors?: unknown; lastNodeError?: unknown };
  if (typeof carrier.command === 'object' && carrier.command !== null && 'args' in carrier.command) {
    const { name } = carrier.command as { name?: unknown };
    try {
      carrier.command = { name, args: [] };
    } catch {
      // A frozen error cannot be redacted; it is not one the client makes. Wrapping must not throw.
    }
  }
  if (Array.isArray(carrier.previousErrors)) carrier.previousErrors.forEach((inner) => redactCommandArgs(inner, depth + 1));
  if (carrier.lastNodeError !== undefined) redactCommandArgs(carrier.lastNodeError, depth + 1);
  return error;
}
