/** Where a coherence source delivers what it learns. */
export interface InvalidationListener {
  /** These sessions' records were changed, deleted or expired somewhere: drop their copies. */
  invalidate(ids: readonly string[]): void;
  /** Every copy may be stale (coherence lost, or the data set was flushed): drop them all. */
  flush(): void;
}

/**
 * What keeps a local cache of session records coherent with the store: it delivers every
 * invalidation, and says whether it can currently be trusted to. The cache serves a copy only
 * while `coherent` is true, and keeps a record it read or wrote only when `epoch` did not move
 * while the command was in flight.
 */
export interface CacheCoherence {
  /** True while every change to a session record is known to reach the listener. */
  readonly coherent: boolean;
  /** Moves each time copies may have gone stale unannounced (coherence lost, a flush): everything read before is suspect. */
  readonly epoch: number;
  /** Sets where invalidations go (one listener). */
  connect(listener: InvalidationListener): void;
}
