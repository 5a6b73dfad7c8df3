import type { SessionRecord } from '../codec/session-record.js';

/**
 * Atomic rotation (`capability: 'rotation'`): a `cycle` only one caller can win. `false` when
 * `oldId` had no record (another request moved or ended it first); the record written under
 * `newId` is then deleted again, so concurrent rotations of one session leave exactly one live id.
 * Derived without it: a `load` of `oldId` then a `cycle`, which two re-sign-ins racing can both win.
 */
export interface AtomicRotation {
  /** Moves the session like `cycle`; `false` (and nothing left under `newId`) when `oldId` had no record. */
  rotate(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean>;
}

/**
 * Expiry (`capability: 'expiry'`): set and read a record's remaining time to live.
 * Derived without it: `expire` reads and rewrites the record (`update` mode); `remainingTtl`
 * cannot know the time left and answers `Infinity` for each id with a record (one `load` per id),
 * so `listSessions` shows such sessions as last seen at the moment of listing.
 */
export interface SessionExpiry {
  /** Sets the remaining time to live of an existing record to `ttlMs`; `false` when there is no record. */
  expire(id: string, ttlMs: number): Promise<boolean>;
  /** Remaining time to live in ms for each id; ids without a record are absent from the map. */
  remainingTtl(ids: readonly string[]): Promise<Map<string, number>>;
}

/**
 * Existence checks (`capability: 'existence'`) without reading records, used to prune dead
 * registry members. Derived without it: one `load` per id.
 */
export interface ExistenceCheck {
  /** Which of `ids` still have a record. */
  existing(ids: readonly string[]): Promise<Set<string>>;
}

/**
 * Gone markers (`capability: 'goneMarkers'`): ending sessions and saying why, so that their next
 * request is told (`evicted`, `revoked`, …). Derived without it: `markGone` deletes and keeps no
 * reason, `goneReason` answers `undefined` (an ended session is then told `ended`).
 */
export interface GoneMarkers {
  /**
   * Deletes each record and leaves a marker holding `reason` for `ttlMs`, in one round trip (per
   * id a marker write then the record deletion).
   */
  markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void>;
  /** Why `id` ended, if a marker is still there (`undefined` otherwise, and for malformed ids). */
  goneReason(id: string): Promise<string | undefined>;
}

/**
 * Listing (`capability: 'listing'`): every session id with a record, in batches, for
 * `AxessSessionService.revokeEveryone`. An id whose record exists for the whole iteration is
 * listed; one written meanwhile may or may not be. Not derivable: without it `revokeEveryone`
 * throws an `AxessOptionsError` naming the capability.
 */
export interface SessionListing {
  /** Every session id with a record, in batches. */
  sessionIds(): AsyncGenerator<string[]>;
}

/** The optional capabilities of a `SessionStore`, by name. */
export interface SessionStoreCapabilities {
  /** `rotate`: a `cycle` only one caller wins. */
  rotation: AtomicRotation;
  /** `expire` and `remainingTtl`. */
  expiry: SessionExpiry;
  /** `existing`. */
  existence: ExistenceCheck;
  /** `markGone` and `goneReason`. */
  goneMarkers: GoneMarkers;
  /** `sessionIds`. */
  listing: SessionListing;
}

/** The name of an optional capability of a `SessionStore`. */
export type SessionStoreCapability = keyof SessionStoreCapabilities;

/** The methods each capability consists of. */
export const CAPABILITY_METHODS: { readonly [C in SessionStoreCapability]: readonly (keyof SessionStoreCapabilities[C])[] } = {
  rotation: ['rotate'],
  expiry: ['expire', 'remainingTtl'],
  existence: ['existing'],
  goneMarkers: ['markGone', 'goneReason'],
  listing: ['sessionIds'],
};
