import type { SessionRecord } from '../codec/session-record.js';

/** One cached session: the record as a read would decode it, never handed out itself. */
export interface CachedSession {
  /** The decoded record; callers get copies (see `copySessionRecord`). */
  readonly record: SessionRecord;
  /** What the entry counts against `maxBytes`: the record's MessagePack size. */
  readonly bytes: number;
  /**
   * When Valkey expires the key at the latest, as far as this process knows, on the monotonic
   * clock (`performance.now()`): the send time of the command that last set its time to live,
   * plus that time to live. The entry is never served at or after it.
   */
  expiresAt: number;
  /** The LRU's use counter when the entry was last moved to the newest end (set by `SessionLru`). */
  stamp?: number;
}

/**
 * A bounded map of session id → cached session, least recently used first out. Bounded by the
 * number of entries and by their summed `bytes`; an entry larger than the byte bound is not kept.
 * A `Map` keeps insertion order: eviction takes from the front, and a read moves the entry to the
 * end, unless it is already among the newer half (a hot session is then read with one lookup, and
 * moved again before it could come near the front).
 */
export class SessionLru {
  private readonly entries = new Map<string, CachedSession>();
  private totalBytes = 0;
  /** Counts moves to the newest end. */
  private uses = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held (the records' MessagePack sizes). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The entry of `id`, marked as just used. */
  get(id: string): CachedSession | undefined {
    const entry = this.entries.get(id);
    if (entry !== undefined && this.uses - (entry.stamp ?? 0) >= this.entries.size >>> 1) {
      this.entries.delete(id);
      this.entries.set(id, entry);
      entry.stamp = ++this.uses;
    }
    return entry;
  }

  /** The entry of `id`, without touching its place in the order. */
  peek(id: string): CachedSession | undefined {
    return this.entries.get(id);
  }

  /** Keeps `entry` under `id` (replacing any), then evicts the least recently used beyond the bounds. */
  set(id: string, entry: CachedSession): void {
    this.delete(id);
    if (entry.bytes > this.maxBytes || this.maxEntries < 1) return;
    this.entries.set(id, entry);
    entry.stamp = ++this.uses;
    this.totalBytes += entry.bytes;
    for (const [oldest, victim] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.totalBytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.totalBytes -= victim.bytes;
    }
  }

  /** Drops the entry of `id`; true when there was one. */
  delete(id: string): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined) return false;
    this.entries.delete(id);
    this.totalBytes -= entry.bytes;
    return true;
  }

  /** Drops every entry. */
  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }
}
