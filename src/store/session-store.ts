import { AxessOptionsError } from '../errors/axess-options.error.js';
import type { SessionRecord } from '../codec/session-record.js';
import {
  CAPABILITY_METHODS,
  type AtomicRotation,
  type ExistenceCheck,
  type GoneMarkers,
  type SessionExpiry,
  type SessionListing,
  type SessionStoreCapability,
} from './store-capabilities.js';

/** Options of {@link SessionStore.load}. */
export interface LoadOptions {
  /**
   * Slide the record's expiry to this many ms from now in the same round trip as the read
   * (Valkey `GETEX … PX`). Omit to read without touching the expiry.
   */
  refreshTtlMs?: number;
}

/**
 * How {@link SessionStore.save} treats an existing record.
 * - `upsert`: write whatever is there (the original's `SET … PX`).
 * - `create`: write only if no record exists (`NX`).
 * - `update`: write only if the record still exists (`XX`): a session deleted, evicted or
 *   revoked meanwhile is never brought back (I3 in docs/architecture.md).
 */
export type SaveMode = 'upsert' | 'create' | 'update';

/**
 * Where session records live. Inject it by this class; implementations: `ValkeySessionStore`
 * and `InMemorySessionStore`, or your own (`store: { sessions, registry }`, see
 * docs/custom-backends.md). Times to live are milliseconds; expiry is the backend's own.
 *
 * The contract is four methods: `load`, `save`, `delete`, `cycle`. Everything else is an optional
 * capability (`SessionStoreCapabilities`: `rotation`, `expiry`, `existence`, `goneMarkers`,
 * `listing`): a store overrides the methods of the capabilities it offers natively, and the
 * defaults here derive the others from the four (`listing` cannot be derived).
 * `supports(capability)` tells which ones a store offers itself.
 *
 * `load` answers `null` for a missing or expired id, a malformed id, and a record that cannot be
 * read (it fails to decrypt, decode or is over the size cap: reported through the `onUnreadable`
 * hook and the logger, never as session data). It throws `SessionStoreError` of kind
 * `connection` / `command` when the backend itself fails, so callers can answer 503 instead of
 * silently signing users out.
 */
export abstract class SessionStore implements AtomicRotation, SessionExpiry, ExistenceCheck, GoneMarkers, SessionListing {
  /** The record of `id`, or `null` if there is none to use (missing, expired, malformed id). */
  abstract load(id: string, options?: LoadOptions): Promise<SessionRecord | null>;

  /**
   * Writes `record` under `id` for `ttlMs` milliseconds.
   * @returns whether it was written (`false` only when `mode` forbade it).
   */
  abstract save(id: string, record: SessionRecord, ttlMs: number, options?: { mode?: SaveMode }): Promise<boolean>;

  /** Deletes the records of the given ids; missing ids are fine (idempotent). */
  abstract delete(...ids: string[]): Promise<void>;

  /**
   * Moves a session to a new id: writes `record` under `newId` (which must not exist yet) and
   * deletes `oldId`, in one round trip of single-key commands (Cluster-safe).
   */
  abstract cycle(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<void>;

  /** Whether this store offers `capability` itself rather than through the defaults derived from the core. */
  supports(capability: SessionStoreCapability): boolean {
    const own = this as unknown as Record<string, unknown>;
    const base = SessionStore.prototype as unknown as Record<string, unknown>;
    return CAPABILITY_METHODS[capability].every((method) => own[method] !== base[method]);
  }

  /** {@link AtomicRotation}. Derived: a `load` of `oldId`, then a `cycle` (not atomic). */
  async rotate(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    if ((await this.load(oldId)) === null) return false;
    await this.cycle(oldId, newId, record, ttlMs);
    return true;
  }

  /** {@link ExistenceCheck}. Derived: one `load` per id. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    const records = await Promise.all(ids.map((id) => this.load(id)));
    return new Set(ids.filter((_, i) => records[i] !== null));
  }

  /** {@link SessionExpiry}. Derived: reads and rewrites the record (`update` mode). */
  async expire(id: string, ttlMs: number): Promise<boolean> {
    const record = await this.load(id);
    return record !== null && this.save(id, record, ttlMs, { mode: 'update' });
  }

  /** {@link SessionExpiry}. Derived: `Infinity` (unknown) for each id with a record. */
  async remainingTtl(ids: readonly string[]): Promise<Map<string, number>> {
    const live = await this.existing(ids);
    return new Map([...live].map((id) => [id, Number.POSITIVE_INFINITY]));
  }

  /** {@link GoneMarkers}. Derived: deletes the records; the reason is not kept. */
  async markGone(ids: readonly string[], _reason: string, _ttlMs: number): Promise<void> {
    await this.delete(...ids);
  }

  /** {@link GoneMarkers}. Derived: `undefined` (no marker is kept). */
  async goneReason(_id: string): Promise<string | undefined> {
    return undefined;
  }

  /** {@link SessionListing}. Not derivable: throws an `AxessOptionsError` naming the capability. */
  async *sessionIds(): AsyncGenerator<string[]> {
    throw new AxessOptionsError(
      'store.sessions',
      `${this.backend} lacks the 'listing' capability (sessionIds) that revokeEveryone needs: implement SessionListing.`,
    );
  }

  /** Which backend this is, for health reports and telemetry. @default 'custom' */
  get backend(): string {
    return 'custom';
  }

  /** Checks that the backend answers (e.g. a PING); throws when it does not. In-process stores answer at once. */
  async ping(): Promise<void> {}

  /** Releases what the store owns (never an app-owned client). */
  async close(): Promise<void> {}
}
