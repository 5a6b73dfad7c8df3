import type { SessionLimitPolicy } from './session-limit.js';

/** A member of a user's registry: a session id and when it was registered (epoch ms). */
export interface RegisteredSession {
  /** The session's id. */
  sessionId: string;
  /** When it was registered, in epoch ms from the `Clock`; the oldest is evicted first. */
  registeredAt: number;
  /**
   * Set on a member already evicted whose end is not done yet (a Cluster admission whose reply
   * was lost, or one still ending it): listed so that it stays revocable, but no longer counted.
   */
  evicted?: true;
}

/** Options of {@link SessionRegistry.admit}. */
export interface AdmitOptions {
  /**
   * Settles once the new session's record is written. The member is added only after it
   * resolves (a member without a record would be pruned as dead by a concurrent login and
   * escape the cap); if it rejects, admission does not happen and the rejection propagates.
   */
  recordWritten?: Promise<unknown>;
  /**
   * The id this session had until a re-sign-in moved it to `sessionId`: removed in the same
   * atomic step as the new id is added, so the user's count is unchanged and no other session
   * is evicted for it (unless the user is over the cap anyway).
   */
  replacing?: string;
  /**
   * The session this sign-in leaves behind (the anonymous one it upgrades): its record is deleted
   * with the admission, or left alone when the admission is refused or fails.
   */
  retiring?: string;
  /**
   * Leave a marker saying why on each evicted session (`SessionStore.markGone`), written in the
   * same round trip as the deletion of their records, so their next request can be told.
   */
  evictionMarker?: {
    /** Why the sessions ended, e.g. `SessionEndReason.evicted`. */
    reason: string;
    /** How long the marker is kept. */
    ttlMs: number;
  };
  /**
   * What to do when the user's live sessions already fill the cap: `'evict-oldest'` (the
   * default) admits the session and evicts the oldest; `'refuse'` adds nothing, evicts nothing
   * and answers `null`. Decided inside the same atomic step as the admission, after the dead
   * members are pruned (they never count), so concurrent logins can never admit more than the cap.
   * A session that is already a member is admitted again either way.
   */
  onLimit?: SessionLimitPolicy;
}

/**
 * Which sessions each user holds, oldest first, in `{prefix}:reg:{userId}` (a sorted set scored
 * by the register instant in epoch ms). Members whose session record no longer exists are
 * pruned and never count against a cap. Inject by this class; implementations:
 * `ValkeySessionRegistry` and `InMemorySessionRegistry`, or your own (`store: { sessions, registry }`).
 *
 * The contract is four methods: `admit`, `members`, `unregister`, `invalidateUser`; `register`
 * and `isValid` have defaults derived from them. Ending sessions goes through
 * `AxessSessionService`, which leaves the reason, emits the events and counts them (the concrete
 * registries also have `invalidateSession`, low level, and `activeSessions`: the members whose
 * record still exists, which the library itself never needs).
 */
export abstract class SessionRegistry {
  /**
   * Adds `sessionId` to the user's set; registering it again keeps its first score.
   * Derived: an admission without a cap.
   */
  async register(userId: string, sessionId: string): Promise<void> {
    await this.admit(userId, sessionId, Number.MAX_SAFE_INTEGER);
  }

  /** Removes `sessionId` from the user's set (its record is left alone). */
  abstract unregister(userId: string, sessionId: string): Promise<void>;

  /**
   * True when `sessionId` is in the user's set and its record still exists.
   * Derived: membership alone (a member whose record is gone reads as valid until pruned).
   */
  async isValid(userId: string, sessionId: string): Promise<boolean> {
    return (await this.members(userId)).some((member) => member.sessionId === sessionId);
  }

  /** Every member as stored, oldest first, dead ones included. */
  abstract members(userId: string): Promise<RegisteredSession[]>;

  /**
   * Login admission, atomic per user: prune dead members, add `sessionId`, evict the oldest
   * beyond `maxSessions` and delete the evicted sessions' records; with `onLimit: 'refuse'`, a
   * user whose live members already fill `maxSessions` is refused instead.
   * @returns the evicted session ids, oldest first; `null` when the admission was refused (the
   * session was not added; its record is the caller's to delete).
   */
  abstract admit(userId: string, sessionId: string, maxSessions: number, options?: AdmitOptions): Promise<string[] | null>;

  /**
   * Low level: removes every member of the user and deletes their records, without a gone-marker,
   * an event or a count; returns the ids removed. `AxessSessionService.revokeAll` (which calls it
   * after writing the markers) is how an app revokes: it says why, tells every instance and counts.
   */
  abstract invalidateUser(userId: string): Promise<string[]>;
}
