import { SessionStoreError } from '../errors/session-store.error.js';
import type { SessionRecord } from '../codec/session-record.js';

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
 * and `InMemorySessionStore`. Times to live are milliseconds; expiry is the backend's own.
 *
 * `load` answers `null` for a missing or expired id, a malformed id, and a record that cannot be
 * read (it fails to decrypt, decode or is over the size cap: reported through the `onUnreadable`
 * hook and the logger, never as session data). It throws `SessionStoreError` of kind
 * `connection` / `command` when the backend itself fails, so callers can answer 503 instead of
 * silently signing users out.
 */
export abstract class SessionStore {
  /** The record of `id`, or `null` if there is none to use. */
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

  /**
   * A `cycle` that only one caller can win: `false` when `oldId` had no record (another request
   * moved or ended it first), and then the record written under `newId` is deleted again, so
   * concurrent rotations of one session leave exactly one live id. The default loads `oldId`
   * first (not atomic); both stores here override it with the cycle's own round trip.
   */
  async rotate(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    if ((await this.load(oldId)) === null) return false;
    await this.cycle(oldId, newId, record, ttlMs);
    return true;
  }

  /** Which of `ids` still have a record (used to prune dead registry members). */
  abstract existing(ids: readonly string[]): Promise<Set<string>>;

  /** Remaining time to live in ms for each id; ids without a record are absent from the map. */
  abstract remainingTtl(ids: readonly string[]): Promise<Map<string, number>>;

  /**
   * Ends sessions and says why: deletes each record and leaves a marker holding `reason` for
   * `ttlMs`, in one round trip (per id a marker write then the record deletion, single-key
   * commands sent together). Read back with `goneReason` when a session turns out missing.
   */
  abstract markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void>;

  /**
   * Every session id with a record, in batches (used by `revokeEveryone`). An id whose record
   * exists for the whole iteration is listed; one written meanwhile may or may not be. The
   * default throws: a custom store must override it for `revokeEveryone` to work.
   */
  async *sessionIds(): AsyncGenerator<string[]> {
    throw new SessionStoreError('command', 'This session store cannot list its sessions (override sessionIds).');
  }

  /** Why `id` ended, if a marker is still there (`undefined` otherwise, and for malformed ids). */
  abstract goneReason(id: string): Promise<string | undefined>;

  /**
   * Sets the remaining time to live of an existing record to `ttlMs`; `false` when there is no
   * record. The default reads and rewrites the record (`update` mode); both stores here override
   * it with one command.
   */
  async expire(id: string, ttlMs: number): Promise<boolean> {
    const record = await this.load(id);
    return record !== null && this.save(id, record, ttlMs, { mode: 'update' });
  }

  /** Which backend this is, for health reports. @default 'custom' */
  get backend(): string {
    return 'custom';
  }

  /** Checks that the backend answers (e.g. a PING); throws when it does not. In-process stores answer at once. */
  async ping(): Promise<void> {}

  /** Releases what the store owns (never an app-owned client). */
  async close(): Promise<void> {}
}
