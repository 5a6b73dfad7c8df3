import { AxessError } from './axess.error.js';

/**
 * What went wrong in a store or registry operation.
 * - `connection`: Valkey could not be reached, timed out or dropped the connection.
 * - `command`: Valkey answered with an error reply (e.g. a wrong key type, OOM).
 * - `codec`: stored bytes are not a session record this version can read.
 * - `decrypt`: stored bytes do not authenticate under any configured key.
 * - `payload-too-large`: the encrypted record exceeds `maxPayloadBytes`.
 * - `replication`: with durable writes on, too few replicas acknowledged a write in time.
 */
export type ValkeyStoreErrorKind = 'connection' | 'command' | 'codec' | 'decrypt' | 'payload-too-large' | 'replication';

/**
 * A typed failure of the session store or registry, carrying the original `cause`.
 * Messages never include session data or key material.
 */
export class ValkeyStoreError extends AxessError {
  constructor(
    readonly kind: ValkeyStoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Wraps anything the Valkey client rejected with: error replies are `command`, the rest `connection`. */
  static fromClient(operation: string, cause: unknown): ValkeyStoreError {
    if (cause instanceof ValkeyStoreError) return cause;
    const replied = cause instanceof Error && cause.name === 'ReplyError';
    return new ValkeyStoreError(
      replied ? 'command' : 'connection',
      `Valkey ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
