import type { Clock } from '../clock/clock.js';
import { SessionRecordCodec } from '../codec/session-record.codec.js';
import type { SessionRecord } from '../codec/session-record.js';
import { isSessionId } from '../crypto/session-id.js';
import type { SessionLifetime } from '../store/session-lifetime.js';
import { SessionStore, type LoadOptions, type SaveMode } from '../store/session-store.js';
import { assertTtl } from '../store/ttl.js';
import type { CacheCoherence, InvalidationListener } from './cache-coherence.js';
import type { LocalCacheSettings } from './local-cache.options.js';
import { copySessionRecord } from './record-copy.js';
import { SessionLru } from './session-lru.js';

/** Cumulative counts of a {@link CachingSessionStore}, for metrics (e.g. observable counters). */
export interface LocalCacheStats {
  /** Loads answered from the cache (a touch may have gone to the store). */
  hits: number;
  /** Loads of a session not in the cache, read through to the store. */
  misses: number;
  /** Loads read through while the cache could not be trusted (no confirmed tracking). */
  bypassed: number;
  /** Idle-expiry refreshes sent for cached sessions (at most one per session per touch interval). */
  touches: number;
  /** Sessions whose copy was dropped because the store said it changed. */
  invalidations: number;
  /** Times every copy was dropped (coherence lost, or the data set flushed). */
  flushes: number;
}

/** One command in flight whose answer may be cached: it may, unless the record was invalidated meanwhile. */
interface Ticket {
  readonly id: string;
  /** The invalidation sequence number when the command was sent. */
  readonly seq: number;
  /** The coherence epoch when the command was sent. */
  readonly epoch: number;
  /** Monotonic ms when the command was sent. */
  readonly sentAt: number;
}

/** Resolves in the check phase of this event-loop turn, after the poll phase read what had arrived. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Per session id with commands in flight: how many, and the sequence number of its last invalidation. */
interface InFlight {
  count: number;
  invalidatedSeq: number;
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
 * - **Sliding expiry.** With `refreshTtlMs`, the record's time to live is set to the idle timeout
 *   that applies to it (the anonymous one before a sign-in, a remembered session's own, else `refreshTtlMs`), cut at its
 *   absolute deadline, but only when the time to live Valkey holds has fallen more than
 *   `touchIntervalMs` below that: one `PEXPIRE` per session per interval, since every refresh
 *   modifies the key and invalidates the other instances' copies. A copy is never served at or
 *   after the moment Valkey expires the key (its last known time to live, counted from when the
 *   command that set it was sent).
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
  private readonly entries: SessionLru;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly codec = new SessionRecordCodec();
  private readonly touchIntervalMs: number;
  private readonly now: () => number;
  /** Incremented by each invalidation of a session with commands in flight. */
  private seq = 0;

  constructor(
    /** The store every miss and write goes to. */
    readonly inner: SessionStore,
    private readonly coherence: CacheCoherence,
    private readonly lifetime: SessionLifetime,
    private readonly clock: Clock,
    settings: LocalCacheSettings,
    options: CachingSessionStoreOptions = {},
  ) {
    super();
    this.entries = new SessionLru(settings.maxEntries, settings.maxBytes);
    this.touchIntervalMs = settings.touchIntervalMs;
    this.now = options.now ?? (() => performance.now());
    coherence.connect(this);
  }

  /** Sessions held now. */
  get size(): number {
    return this.entries.size;
  }

  /** True while copies may be served (tracking confirmed). */
  get coherent(): boolean {
    return this.coherence.coherent;
  }

  /** Whether a copy of `id` is held (for tests and diagnostics; it may be past its expiry). */
  holds(id: string): boolean {
    return this.entries.peek(id) !== undefined;
  }

  override get backend(): string {
    return this.inner.backend;
  }

  async load(id: string, options: LoadOptions = {}): Promise<SessionRecord | null> {
    const refreshTtlMs = options.refreshTtlMs;
    if (refreshTtlMs !== undefined) assertTtl(refreshTtlMs, 'refreshTtlMs');
    if (!this.coherence.coherent) {
      this.stats.bypassed++;
      return this.inner.load(id, options);
    }
    let entry = this.entries.get(id);
    if (entry !== undefined) {
      // One turn of the event loop first: an invalidation that reached this process before the
      // request was read is applied before a copy is served (Node may read the request's socket
      // before the subscriber's in the same poll).
      await yieldToIo();
      if (!this.coherence.coherent) {
        this.stats.bypassed++;
        return this.inner.load(id, options);
      }
      entry = this.entries.peek(id);
    }
    if (entry !== undefined) {
      const now = this.now();
      if (now >= entry.expiresAt) {
        this.entries.delete(id);
      } else {
        const slide = refreshTtlMs === undefined ? undefined : this.slideTtl(entry.record, refreshTtlMs);
        if (slide !== undefined && entry.expiresAt < now + slide - this.touchIntervalMs) return this.touchAndServe(id, entry.record, slide);
        this.stats.hits++;
        return copySessionRecord(entry.record);
      }
    }
    return this.readThrough(id, refreshTtlMs);
  }

  async save(id: string, record: SessionRecord, ttlMs: number, options?: { mode?: SaveMode }): Promise<boolean> {
    this.forget(id);
    // Encoded now, as the store does: what the handler changes after this call is not what was written.
    const plain = this.encodeOrUndefined(record);
    const ticket = this.begin(id);
    try {
      const written = await this.inner.save(id, record, ttlMs, options);
      if (written && plain !== undefined) this.keepWritten(ticket, plain, ttlMs);
      return written;
    } finally {
      this.end(ticket);
    }
  }

  async cycle(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<void> {
    await this.moving(oldId, newId, record, ttlMs, async () => (await this.inner.cycle(oldId, newId, record, ttlMs), true));
  }

  override rotate(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    // A lost rotation deleted its new record again: nothing is kept then.
    return this.moving(oldId, newId, record, ttlMs, () => this.inner.rotate(oldId, newId, record, ttlMs));
  }

  /** A move to a new id: both ids leave the cache; the new record is kept once `move` says it was written. */
  private async moving(oldId: string, newId: string, record: SessionRecord, ttlMs: number, move: () => Promise<boolean>): Promise<boolean> {
    this.forget(oldId);
    this.forget(newId);
    const plain = this.encodeOrUndefined(record);
    const ticket = this.begin(newId);
    try {
      const written = await move();
      if (written && plain !== undefined) this.keepWritten(ticket, plain, ttlMs);
      return written;
    } finally {
      this.end(ticket);
    }
  }

  async delete(...ids: string[]): Promise<void> {
    for (const id of ids) this.forget(id);
    await this.inner.delete(...ids);
    await this.fence(ids);
  }

  /** Passes through: listing reads no record, so nothing is cached. */
  override sessionIds(): AsyncGenerator<string[]> {
    return this.inner.sessionIds();
  }

  async markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void> {
    for (const id of ids) this.forget(id);
    await this.inner.markGone(ids, reason, ttlMs);
    await this.fence(ids);
  }

  /**
   * Sets the time to live, unless the copy held shows Valkey's is already within the touch
   * interval below `ttlMs` (and not above it): the anonymous-session shortening the middleware
   * asks for on each request then costs nothing once done.
   */
  override async expire(id: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    const entry = this.coherence.coherent ? this.entries.peek(id) : undefined;
    if (entry !== undefined) {
      const now = this.now();
      if (entry.expiresAt > now && entry.expiresAt <= now + ttlMs && entry.expiresAt >= now + ttlMs - this.touchIntervalMs) return true;
    }
    const ticket = this.begin(id);
    try {
      const set = await this.inner.expire(id, ttlMs);
      if (!set) this.forget(id);
      else if (entry !== undefined && this.entries.peek(id) === entry && this.mayKeep(ticket)) entry.expiresAt = ticket.sentAt + ttlMs;
      return set;
    } finally {
      this.end(ticket);
    }
  }

  existing(ids: readonly string[]): Promise<Set<string>> {
    return this.inner.existing(ids);
  }

  remainingTtl(ids: readonly string[]): Promise<Map<string, number>> {
    return this.inner.remainingTtl(ids);
  }

  goneReason(id: string): Promise<string | undefined> {
    return this.inner.goneReason(id);
  }

  override ping(): Promise<void> {
    return this.inner.ping();
  }

  override close(): Promise<void> {
    this.entries.clear();
    return this.inner.close();
  }

  /** From the coherence source: these records changed elsewhere. @internal */
  invalidate(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.entries.delete(id)) this.stats.invalidations++;
      this.markInvalidated(id);
    }
  }

  /** From the coherence source: drop everything (in-flight commands are voided by the epoch). @internal */
  flush(): void {
    this.entries.clear();
    this.stats.flushes++;
  }

  /** The time to live a read slides the record to, or `undefined` past its absolute deadline (the caller refuses it). */
  private slideTtl(record: SessionRecord, refreshTtlMs: number): number | undefined {
    const ttl = this.lifetime.ttl(record, this.clock.nowMs());
    // A remembered session slides to its own, longer idle timeout (as the middleware sets it after a read).
    return ttl < 1 ? undefined : record.remembered ? ttl : Math.min(refreshTtlMs, ttl);
  }

  /** A hit whose idle expiry is due for a refresh: one `PEXPIRE`, then the copy (or a fresh read if it changed meanwhile). */
  private async touchAndServe(id: string, record: SessionRecord, ttlMs: number): Promise<SessionRecord | null> {
    this.stats.touches++;
    const ticket = this.begin(id);
    let touched: boolean;
    try {
      touched = await this.inner.expire(id, ttlMs);
      const entry = this.entries.peek(id);
      if (touched && entry !== undefined && entry.record === record && this.mayKeep(ticket)) {
        entry.expiresAt = ticket.sentAt + ttlMs;
        this.stats.hits++;
        return copySessionRecord(record);
      }
    } finally {
      this.end(ticket);
    }
    if (!touched) {
      // Gone from Valkey (its invalidation may still be on its way).
      this.forget(id);
      return null;
    }
    // Invalidated while the refresh was in flight: read what is there now.
    return this.readThrough(id, ttlMs);
  }

  /** A miss: `GET` and `PTTL` sent together (one round trip), a refresh only when due, and the record kept if nothing voided the read. */
  private async readThrough(id: string, refreshTtlMs: number | undefined): Promise<SessionRecord | null> {
    this.stats.misses++;
    if (!isSessionId(id)) return null;
    const ticket = this.begin(id);
    try {
      const [record, ttls] = await Promise.all([this.inner.load(id), this.inner.remainingTtl([id])]);
      if (record === null) return null;
      const remaining = ttls.get(id);
      let expiresAt = remaining === undefined ? undefined : ticket.sentAt + remaining;
      const slide = refreshTtlMs === undefined ? undefined : this.slideTtl(record, refreshTtlMs);
      if (slide !== undefined && (expiresAt === undefined || expiresAt < this.now() + slide - this.touchIntervalMs)) {
        this.stats.touches++;
        const sentAt = this.now();
        // The key vanished between the read and the refresh: the record is served (as a read a moment earlier would have), not kept.
        expiresAt = (await this.inner.expire(id, slide)) ? sentAt + slide : undefined;
      }
      if (expiresAt !== undefined && this.mayKeep(ticket)) {
        const plain = this.encodeOrUndefined(record);
        if (plain !== undefined) this.entries.set(id, { record: copySessionRecord(record), bytes: plain.length, expiresAt });
      }
      return record;
    } finally {
      this.end(ticket);
    }
  }

  /** After a confirmed write: keep what a read of those bytes would decode, if nothing voided it. */
  private keepWritten(ticket: Ticket, plain: Buffer, ttlMs: number): void {
    if (!this.mayKeep(ticket)) return;
    let record: SessionRecord;
    try {
      record = this.codec.decode(plain);
    } catch {
      return;
    }
    this.entries.set(ticket.id, { record, bytes: plain.length, expiresAt: ticket.sentAt + ttlMs });
  }

  private encodeOrUndefined(record: SessionRecord): Buffer | undefined {
    try {
      return this.codec.encode(record);
    } catch {
      // The store refuses it too and says why.
      return undefined;
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

  /** This process is about to change `id` itself (no invalidation comes back: NOLOOP): drop the copy and void reads in flight. */
  private forget(id: string): void {
    this.entries.delete(id);
    this.markInvalidated(id);
  }

  private markInvalidated(id: string): void {
    const flight = this.inFlight.get(id);
    if (flight !== undefined) flight.invalidatedSeq = ++this.seq;
  }

  private begin(id: string): Ticket {
    let flight = this.inFlight.get(id);
    if (flight === undefined) {
      flight = { count: 0, invalidatedSeq: 0 };
      this.inFlight.set(id, flight);
    }
    flight.count++;
    return { id, seq: this.seq, epoch: this.coherence.epoch, sentAt: this.now() };
  }

  /** Whether the answer to `ticket`'s command may be kept: still coherent, same epoch, no invalidation of its id since it was sent. */
  private mayKeep(ticket: Ticket): boolean {
    const flight = this.inFlight.get(ticket.id);
    return (
      this.coherence.coherent && this.coherence.epoch === ticket.epoch && (flight === undefined || flight.invalidatedSeq <= ticket.seq)
    );
  }

  private end(ticket: Ticket): void {
    const flight = this.inFlight.get(ticket.id);
    if (flight !== undefined && --flight.count === 0) this.inFlight.delete(ticket.id);
  }
}
