import { Logger } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { SystemClock } from '../clock/system.clock.js';
import type { SessionRecord } from '../codec/session-record.js';
import { PlaintextSessionCipher } from '../crypto/plaintext-session.cipher.js';
import type { SessionCipher } from '../crypto/session-cipher.js';
import { isSessionId } from '../crypto/session-id.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import { assertSessionId } from '../crypto/session-id.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, SealedRecordFormat, type UnreadableRecordHook } from './sealed-record.js';
import { SessionStore, type LoadOptions, type SaveMode } from './session-store.js';
import { assertGoneReason } from './gone-reason.js';
import { assertTtl } from './ttl.js';
import { assertWholeNumber } from '../errors/whole-number.js';

/** Options of {@link InMemorySessionStore}. */
export interface InMemorySessionStoreOptions {
  /** Source of time for expiry. @default new SystemClock() */
  clock?: Clock;
  /** How records are sealed; the same cipher as in production keeps size limits identical. @default plaintext (memory is not "at rest") */
  cipher?: SessionCipher;
  /** Largest stored record in bytes, after sealing. @default 65536 */
  maxPayloadBytes?: number;
  /** At most one full sweep of expired entries per this many clock ms. @default 60000 */
  sweepIntervalMs?: number;
  /** Called when a stored record cannot be read (load then answers `null`). */
  onUnreadable?: UnreadableRecordHook;
  /** Where warnings go. @default new Logger('AxessSession') */
  logger?: Logger;
}

interface Entry {
  bytes: Buffer;
  expiresAt: number;
}

/**
 * Session records in this process's memory, for a single instance or local development.
 * Same semantics as `ValkeySessionStore` (one conformance suite covers both): expiry follows the
 * injected `Clock`, and expired entries are swept so memory stays bounded by live sessions.
 */
export class InMemorySessionStore extends SessionStore {
  override get backend(): string {
    return 'memory';
  }

  private readonly entries = new Map<string, Entry>();
  private readonly markers = new Map<string, { reason: string; expiresAt: number }>();
  private readonly clock: Clock;
  private readonly format: SealedRecordFormat;
  private readonly logger: Logger;
  private readonly onUnreadable?: UnreadableRecordHook;
  private readonly sweepIntervalMs: number;
  private nextSweepAt = 0;

  constructor(options: InMemorySessionStoreOptions = {}) {
    super();
    this.clock = options.clock ?? new SystemClock();
    this.format = new SealedRecordFormat(
      options.cipher ?? new PlaintextSessionCipher(),
      options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    );
    this.logger = options.logger ?? new Logger('AxessSession');
    this.onUnreadable = options.onUnreadable;
    const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    // NaN would make `now >= nextSweepAt` false forever: expired entries would never leave.
    assertWholeNumber(sweepIntervalMs, 'sweepIntervalMs', { min: 0, unit: 'milliseconds' });
    this.sweepIntervalMs = sweepIntervalMs;
  }

  /** Number of entries held, live or not yet swept. */
  get size(): number {
    return this.entries.size;
  }

  async load(id: string, options: LoadOptions = {}): Promise<SessionRecord | null> {
    // Validated before the lookup, like the Valkey store, so a bad option fails whether or not the id exists.
    if (options.refreshTtlMs !== undefined) assertTtl(options.refreshTtlMs, 'refreshTtlMs');
    if (!isSessionId(id)) return null;
    const now = this.tick();
    const entry = this.live(id, now);
    if (!entry) return null;
    if (options.refreshTtlMs !== undefined) entry.expiresAt = now + options.refreshTtlMs;
    return this.format.readOrReport(id, entry.bytes, this.logger, this.onUnreadable);
  }

  async save(id: string, record: SessionRecord, ttlMs: number, options: { mode?: SaveMode } = {}): Promise<boolean> {
    assertSessionId(id);
    assertTtl(ttlMs);
    const bytes = this.format.toBytes(id, record);
    const now = this.tick();
    const exists = this.live(id, now) !== undefined;
    const mode = options.mode ?? 'upsert';
    if ((mode === 'create' && exists) || (mode === 'update' && !exists)) return false;
    this.entries.set(id, { bytes, expiresAt: now + ttlMs });
    return true;
  }

  async delete(...ids: string[]): Promise<void> {
    ids.forEach((id) => assertSessionId(id));
    for (const id of ids) this.entries.delete(id);
  }

  async cycle(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<void> {
    await this.move(oldId, newId, record, ttlMs);
  }

  override async rotate(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    if (await this.move(oldId, newId, record, ttlMs)) return true;
    this.entries.delete(newId);
    return false;
  }

  /** Writes `newId`, deletes `oldId`; whether `oldId` had a live record. */
  private async move(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    assertSessionId(oldId);
    const written = await this.save(newId, record, ttlMs, { mode: 'create' });
    const existed = this.live(oldId, this.tick()) !== undefined;
    // The old id goes even on a collision, as in the Valkey store (SET NX and DEL sent together).
    this.entries.delete(oldId);
    if (!written) {
      throw new SessionStoreError('command', 'Session id collision while cycling: the new id already exists.');
    }
    return existed;
  }

  override async expire(id: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    if (!isSessionId(id)) return false;
    const now = this.tick();
    const entry = this.live(id, now);
    if (!entry) return false;
    entry.expiresAt = now + ttlMs;
    return true;
  }

  override async existing(ids: readonly string[]): Promise<Set<string>> {
    const now = this.tick();
    return new Set(ids.filter((id) => isSessionId(id) && this.live(id, now) !== undefined));
  }

  override async remainingTtl(ids: readonly string[]): Promise<Map<string, number>> {
    const now = this.tick();
    const result = new Map<string, number>();
    for (const id of ids) {
      const entry = isSessionId(id) ? this.live(id, now) : undefined;
      if (entry) result.set(id, entry.expiresAt - now);
    }
    return result;
  }

  override async markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void> {
    assertGoneReason(reason);
    assertTtl(ttlMs);
    ids.forEach((id) => assertSessionId(id));
    const now = this.tick();
    for (const id of ids) {
      this.markers.set(id, { reason, expiresAt: now + ttlMs });
      this.entries.delete(id);
    }
  }

  /** The live ids as they are now, in one batch (what Valkey's `SCAN` lists while nothing changes). */
  override async *sessionIds(): AsyncGenerator<string[]> {
    const now = this.tick();
    const ids = [...this.entries].filter(([, entry]) => entry.expiresAt > now).map(([id]) => id);
    if (ids.length > 0) yield ids;
  }

  override async goneReason(id: string): Promise<string | undefined> {
    if (!isSessionId(id)) return undefined;
    const now = this.tick();
    const marker = this.markers.get(id);
    if (!marker) return undefined;
    if (marker.expiresAt <= now) {
      this.markers.delete(id);
      return undefined;
    }
    return marker.reason;
  }

  /** Drops every expired entry and marker now. */
  sweep(): void {
    const now = this.clock.nowMs();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(id);
    }
    for (const [id, marker] of this.markers) {
      if (marker.expiresAt <= now) this.markers.delete(id);
    }
    this.nextSweepAt = now + this.sweepIntervalMs;
  }

  private live(id: string, now: number): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  /** The current time, sweeping first when a sweep is due (amortised, so memory stays bounded). */
  private tick(): number {
    const now = this.clock.nowMs();
    if (now >= this.nextSweepAt) this.sweep();
    return now;
  }
}
