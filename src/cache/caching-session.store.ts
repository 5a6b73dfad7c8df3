import type { Clock } from '../clock/clock.js';
import type { SessionRecord } from '../codec/session-record.js';
import { isSessionId } from '../crypto/session-id.js';
import type { SessionLifetime } from '../store/session-lifetime.js';
import { SessionStore, type LoadOptions, type SaveMode } from '../store/session-store.js';
import type { SessionStoreCapability } from '../store/store-capabilities.js';
import { assertTtl } from '../store/ttl.js';
import type { CacheCoherence, InvalidationListener } from './cache-coherence.js';
import { IdleRefresh } from './idle-refresh.js';
import type { LocalCacheStats } from './local-cache.metrics.js';
import type { LocalCacheSettings } from './local-cache.options.js';
import { LocalCopies } from './local-copies.js';
import { copySessionRecord } from './record-copy.js';

export type { LocalCacheStats } from './local-cache.metrics.js';

/** Resolves in the check phase of this event-loop turn, after the poll phase read what had arrived. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Options of {@link CachingSessionStore}. */
export interface CachingSessionStoreOptions {
  /** Monotonic milliseconds for expiry estimates. @default performance.now */
  now?: () => number;
}

/**
 * A local cache of decoded session records stacked on a store (the layer above never knows):
 * a load of a cached, unchanged session costs no round trip, and every change made anywhere
 * reaches the cache through `coherence` (Valkey's `CLIENT TRACKING`). Fail safe: while
 * `coherence` is not confirmed, every call goes to the store and nothing is kept.
 *
 * - **Reads.** A hit first lets one event-loop turn pass (an invalidation already received is
 *   applied before a copy is served), then hands out a deep copy, never the cached record. A miss
 *   reads the record and its remaining time to live together (`GET` + `PTTL`: reading does not
 *   modify the key, so it invalidates nobody) and keeps it, unless an invalidation or a loss of
 *   coherence arrived while the read was in flight.
 * - **Sliding expiry** ({@link IdleRefresh}): at most one `PEXPIRE` per session per
 *   `touchIntervalMs`. A copy is never served at or after the moment Valkey expires the key.
 * - **Writes** go to the store; this process's copy is dropped first and replaced by what a read
 *   would decode from the bytes written, once the store confirmed the write. Tracking runs with
 *   `NOLOOP`: this process's own writes do not come back to it as invalidations. A deletion
 *   (`delete`, `markGone`: logout, revocation, eviction) is followed by a `PTTL` of the same keys,
 *   so that it returns only once Valkey has dispatched its invalidations to the other instances.
 * - `existing`, `remainingTtl`, `goneReason`, `ping` pass through.
 */
export class CachingSessionStore extends SessionStore implements InvalidationListener {
  /** Cumulative counts (read them from an observable metric). */
  readonly stats: LocalCacheStats = { hits: 0, misses: 0, bypassed: 0, touches: 0, invalidations: 0, flushes: 0 };
  private readonly copies: LocalCopies;
  private readonly refresh: IdleRefresh;
  private readonly now: () => number;

  constructor(
    /** The store every miss and write goes to. */
    readonly inner: SessionStore,
    private readonly coherence: CacheCoherence,
    lifetime: SessionLifetime,
    clock: Clock,
    settings: Omit<LocalCacheSettings, 'maxStalenessMs'>,
    options: CachingSessionStoreOptions = {},
  ) {
    super();
    this.refresh = new IdleRefresh(lifetime, clock, settings.touchIntervalMs);
    this.now = options.now ?? (() => performance.now());
    this.copies = new LocalCopies(settings, coherence, this.now);
    coherence.connect(this);
  }

  /** Sessions held now. */
  get size(): number {
    return this.copies.held.size;
  }

  /** True while copies may be served (tracking confirmed). */
  get coherent(): boolean {
    return this.coherence.coherent;
  }

  /** Whether a copy of `id` is held (for tests and diagnostics; it may be past its expiry). */
  holds(id: string): boolean {
    return this.copies.held.peek(id) !== undefined;
  }

  override get backend(): string {
    return this.inner.backend;
  }

  override supports(capability: SessionStoreCapability): boolean {
    return this.inner.supports(capability);
  }

  async load(id: string, options: LoadOptions = {}): Promise<SessionRecord | null> {
    const refreshTtlMs = options.refreshTtlMs;
    if (refreshTtlMs !== undefined) assertTtl(refreshTtlMs, 'refreshTtlMs');
    if (!this.coherence.coherent) {
      this.stats.bypassed++;
      return this.inner.load(id, options);
    }
    let entry = this.copies.held.get(id);
    if (entry !== undefined) {
      // One turn of the event loop first: an invalidation that reached this process before the
      // request was read is applied before a copy is served (Node may read the request's socket
      // before the subscriber's in the same poll).
      await yieldToIo();
      if (!this.coherence.coherent) {
        this.stats.bypassed++;
        return this.inner.load(id, options);
      }
      entry = this.copies.held.peek(id);
    }
    if (entry !== undefined) {
      const now = this.now();
      if (now >= entry.expiresAt) {
        this.copies.held.delete(id);
      } else {
        const slide = refreshTtlMs === undefined ? undefined : this.refresh.slideTtl(entry.record, refreshTtlMs);
        if (slide !== undefined && this.refresh.due(entry.expiresAt, slide, now)) return this.touchAndServe(id, entry.record, slide);
        this.stats.hits++;
        return copySessionRecord(entry.record);
      }
    }
    return this.readThrough(id, refreshTtlMs);
  }

  save(id: string, record: SessionRecord, ttlMs: number, options?: { mode?: SaveMode }): Promise<boolean> {
    return this.writing([id], id, record, ttlMs, () => this.inner.save(id, record, ttlMs, options));
  }

  async cycle(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<void> {
    await this.writing([oldId, newId], newId, record, ttlMs, async () => (await this.inner.cycle(oldId, newId, record, ttlMs), true));
  }

  override rotate(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    // A lost rotation deleted its new record again: nothing is kept then.
    return this.writing([oldId, newId], newId, record, ttlMs, () => this.inner.rotate(oldId, newId, record, ttlMs));
  }

  /** A write: the `changed` ids leave the cache; `record` is kept under `id` once `write` says it was written. */
  private async writing(
    changed: string[],
    id: string,
    record: SessionRecord,
    ttlMs: number,
    write: () => Promise<boolean>,
  ): Promise<boolean> {
    for (const each of changed) this.copies.drop(each);
    // Encoded now, as the store does: what the handler changes after this call is not what was written.
    const plain = this.copies.encode(record);
    const ticket = this.copies.begin(id);
    try {
      const written = await write();
      if (written && plain !== undefined) this.copies.keepWritten(ticket, plain, ttlMs);
      return written;
    } finally {
      this.copies.end(ticket);
    }
  }

  async delete(...ids: string[]): Promise<void> {
    for (const id of ids) this.copies.drop(id);
    await this.inner.delete(...ids);
    await this.fence(ids);
  }

  /** Passes through: listing reads no record, so nothing is cached. */
  override sessionIds(): AsyncGenerator<string[]> {
    return this.inner.sessionIds();
  }

  override async markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void> {
    for (const id of ids) this.copies.drop(id);
    await this.inner.markGone(ids, reason, ttlMs);
    await this.fence(ids);
  }

  /** Sets the time to live, unless the copy held shows Valkey's is already set (see {@link IdleRefresh.alreadySet}). */
  override async expire(id: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    const entry = this.coherence.coherent ? this.copies.held.peek(id) : undefined;
    if (entry !== undefined && this.refresh.alreadySet(entry.expiresAt, ttlMs, this.now())) return true;
    const ticket = this.copies.begin(id);
    try {
      const set = await this.inner.expire(id, ttlMs);
      if (!set) this.copies.drop(id);
      else if (entry !== undefined && this.copies.held.peek(id) === entry && this.copies.mayKeep(ticket))
        entry.expiresAt = ticket.sentAt + ttlMs;
      return set;
    } finally {
      this.copies.end(ticket);
    }
  }

  override existing(ids: readonly string[]): Promise<Set<string>> {
    return this.inner.existing(ids);
  }

  override remainingTtl(ids: readonly string[]): Promise<Map<string, number>> {
    return this.inner.remainingTtl(ids);
  }

  override goneReason(id: string): Promise<string | undefined> {
    return this.inner.goneReason(id);
  }

  override ping(): Promise<void> {
    return this.inner.ping();
  }

  override close(): Promise<void> {
    this.copies.held.clear();
    return this.inner.close();
  }

  /** From the coherence source: these records changed elsewhere. @internal */
  invalidate(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.copies.drop(id)) this.stats.invalidations++;
    }
  }

  /** From the coherence source: drop everything (in-flight commands are voided by the epoch). @internal */
  flush(): void {
    this.copies.held.clear();
    this.stats.flushes++;
  }

  /** A hit whose idle expiry is due for a refresh: one `PEXPIRE`, then the copy (or a fresh read if it changed meanwhile). */
  private async touchAndServe(id: string, record: SessionRecord, ttlMs: number): Promise<SessionRecord | null> {
    this.stats.touches++;
    const ticket = this.copies.begin(id);
    let touched: boolean;
    try {
      touched = await this.inner.expire(id, ttlMs);
      const entry = this.copies.held.peek(id);
      if (touched && entry !== undefined && entry.record === record && this.copies.mayKeep(ticket)) {
        entry.expiresAt = ticket.sentAt + ttlMs;
        this.stats.hits++;
        return copySessionRecord(record);
      }
    } finally {
      this.copies.end(ticket);
    }
    if (!touched) {
      // Gone from Valkey (its invalidation may still be on its way).
      this.copies.drop(id);
      return null;
    }
    // Invalidated while the refresh was in flight: read what is there now.
    return this.readThrough(id, ttlMs);
  }

  /** A miss: `GET` and `PTTL` sent together (one round trip), a refresh only when due, and the record kept if nothing voided the read. */
  private async readThrough(id: string, refreshTtlMs: number | undefined): Promise<SessionRecord | null> {
    this.stats.misses++;
    if (!isSessionId(id)) return null;
    const ticket = this.copies.begin(id);
    try {
      const [record, ttls] = await Promise.all([this.inner.load(id), this.inner.remainingTtl([id])]);
      if (record === null) return null;
      const remaining = ttls.get(id);
      let expiresAt = remaining === undefined ? undefined : ticket.sentAt + remaining;
      const slide = refreshTtlMs === undefined ? undefined : this.refresh.slideTtl(record, refreshTtlMs);
      if (slide !== undefined && this.refresh.due(expiresAt, slide, this.now())) {
        this.stats.touches++;
        const sentAt = this.now();
        // The key vanished between the read and the refresh: the record is served (as a read a moment earlier would have), not kept.
        expiresAt = (await this.inner.expire(id, slide)) ? sentAt + slide : undefined;
      }
      if (expiresAt !== undefined) this.copies.keepRead(ticket, record, expiresAt);
      return record;
    } finally {
      this.copies.end(ticket);
    }
  }

  /**
   * After a session ended (logout, revocation, eviction): one more command on each key's node, sent
   * once the deletion was answered. Valkey sends the deletion's invalidations to the other
   * instances at the end of the event-loop turn that executed it, and answers this command in a
   * later turn: by the time the caller answers its own client, Valkey has dispatched them (without
   * it, the other instance could get that client's next request before Valkey wrote the message).
   * Failures are ignored: the deletion itself succeeded.
   */
  private async fence(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.inner.remainingTtl(ids).catch(() => undefined);
  }
}
