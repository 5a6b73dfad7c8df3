import { Clock } from '../clock/clock.js';
import { SystemClock } from '../clock/system.clock.js';
import { isSessionId } from '../crypto/session-id.js';
import { assertSessionId } from '../crypto/session-id.js';
import { assertUserId } from './user-id.js';
import { SessionStore } from '../store/session-store.js';
import { assertTtl } from '../store/ttl.js';
import { liveSessionIds } from './live-sessions.js';
import { assertMaxSessions, DEFAULT_REGISTRY_LIFETIME_MS, scoreInstant } from './registry-limits.js';
import { assertSessionLimitPolicy, DEFAULT_SESSION_LIMIT_POLICY, type SessionLimitPolicy } from './session-limit.js';
import { SessionRegistry, type AdmitOptions, type RegisteredSession } from './session-registry.js';

/** Options of {@link InMemorySessionRegistry}. */
export interface InMemorySessionRegistryOptions {
  /** The session store: the registry checks which members still have a record and deletes evicted ones. */
  store: SessionStore;
  /** Source of registry scores and expiry. @default new SystemClock() */
  clock?: Clock;
  /** How long a session can live from its registration; the set expires this long after its newest member. @default 30 days */
  lifetimeMs?: number;
  /** At most one full sweep of expired sets per this many clock ms. @default 60000 */
  sweepIntervalMs?: number;
}

interface UserSet {
  /** session id → score (registration instant, epoch ms) */
  members: Map<string, number>;
  expiresAt: number;
}

const ignore = (): void => undefined;

/**
 * The per-user registry in this process's memory, with the semantics of `ValkeySessionRegistry`
 * (one conformance suite covers both): the same scores, including max(now, highest + 1), the
 * same pruning, eviction order and expiry of the whole set, following the injected `Clock`.
 * Admission awaits the store, so each user's writes run one at a time behind a promise chain,
 * the in-process equivalent of the Valkey script's atomicity.
 */
export class InMemorySessionRegistry extends SessionRegistry {
  private readonly sets = new Map<string, UserSet>();
  private readonly locks = new Map<string, Promise<void>>();
  private readonly store: SessionStore;
  private readonly clock: Clock;
  private readonly lifetimeMs: number;
  private readonly sweepIntervalMs: number;
  private nextSweepAt = 0;

  constructor(options: InMemorySessionRegistryOptions) {
    super();
    this.store = options.store;
    this.clock = options.clock ?? new SystemClock();
    this.lifetimeMs = options.lifetimeMs ?? DEFAULT_REGISTRY_LIFETIME_MS;
    assertTtl(this.lifetimeMs, 'lifetimeMs', 'option');
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  }

  override async register(userId: string, sessionId: string): Promise<void> {
    assertUserId(userId);
    assertSessionId(sessionId);
    await this.exclusive(userId, async () => void this.apply(userId, sessionId, 0, 'evict-oldest', []));
  }

  async unregister(userId: string, sessionId: string): Promise<void> {
    assertUserId(userId);
    assertSessionId(sessionId);
    await this.exclusive(userId, async () => this.remove(userId, [sessionId]));
  }

  override async isValid(userId: string, sessionId: string): Promise<boolean> {
    assertUserId(userId);
    if (!isSessionId(sessionId)) return false;
    const member = this.live(userId)?.members.has(sessionId) ?? false;
    const live = await this.store.existing([sessionId]);
    return member && live.has(sessionId);
  }

  async members(userId: string): Promise<RegisteredSession[]> {
    assertUserId(userId);
    return this.ordered(userId);
  }

  /**
   * Low level (not part of `SessionRegistry`): the user's session ids whose record still exists,
   * oldest first. A backend failure throws; it never reads as empty.
   */
  async activeSessions(userId: string): Promise<string[]> {
    return liveSessionIds(await this.members(userId), this.store);
  }

  async admit(userId: string, sessionId: string, maxSessions: number, options: AdmitOptions = {}): Promise<string[] | null> {
    const written = options.recordWritten;
    written?.catch(ignore);
    assertUserId(userId);
    assertSessionId(sessionId);
    assertMaxSessions(maxSessions, 'argument', 'maxSessions');
    const onLimit = options.onLimit ?? DEFAULT_SESSION_LIMIT_POLICY;
    assertSessionLimitPolicy(onLimit, 'onLimit');
    // Awaited before taking the lock so a slow write does not hold up the user's other logins.
    await written;
    const victims = await this.exclusive(userId, async () => {
      const ids = this.ordered(userId)
        .map((m) => m.sessionId)
        .filter((id) => id !== sessionId);
      const live = await this.store.existing(ids);
      return this.apply(
        userId,
        sessionId,
        maxSessions,
        onLimit,
        ids.filter((id) => !live.has(id) || id === options.replacing),
      );
    });
    if (victims === null) return null;
    const marker = options.evictionMarker;
    await Promise.all([
      victims.length === 0 ? undefined : marker ? this.store.markGone(victims, marker.reason, marker.ttlMs) : this.store.delete(...victims),
      options.retiring === undefined ? undefined : this.store.delete(options.retiring),
    ]);
    return victims;
  }

  /**
   * Low level: removes the member and deletes its record, without a gone-marker, an event or a
   * count (not part of `SessionRegistry`). Apps revoke with `AxessSessionService.revokeSession`.
   */
  async invalidateSession(userId: string, sessionId: string): Promise<void> {
    assertUserId(userId);
    assertSessionId(sessionId);
    await this.exclusive(userId, async () => this.remove(userId, [sessionId]));
    await this.store.delete(sessionId);
  }

  async invalidateUser(userId: string): Promise<string[]> {
    assertUserId(userId);
    const ids = await this.exclusive(userId, async () => {
      const read = this.ordered(userId).map((m) => m.sessionId);
      this.remove(userId, read);
      return read;
    });
    if (ids.length > 0) await this.store.delete(...ids);
    return ids;
  }

  /**
   * The admission script's steps: prune `dead`, add `sessionId` (or, with `refuse` and a full set,
   * answer `null` and add nothing), evict beyond `cap` (0 = none), extend expiry.
   */
  private apply(userId: string, sessionId: string, cap: number, onLimit: SessionLimitPolicy, dead: string[]): string[] | null {
    const now = scoreInstant(this.clock.nowMs());
    let set = this.live(userId);
    if (!set) {
      set = { members: new Map(), expiresAt: Number.POSITIVE_INFINITY };
      this.sets.set(userId, set);
    }
    for (const id of dead) set.members.delete(id);
    const refuse = onLimit === 'refuse';
    if (!set.members.has(sessionId)) {
      if (refuse && cap > 0 && set.members.size >= cap) return null;
      const top = this.newestScore(set);
      set.members.set(sessionId, top === undefined ? now : Math.max(now, top + 1));
    }
    const victims: string[] = [];
    const excess = cap > 0 && !refuse ? set.members.size - cap : 0;
    if (excess > 0) {
      for (const { sessionId: id } of sortMembers(set)) {
        if (victims.length === excess) break;
        if (id !== sessionId) victims.push(id);
      }
      for (const id of victims) set.members.delete(id);
    }
    const expiresAt = this.newestScore(set)! + this.lifetimeMs;
    // A fresh set starts at +Infinity, like a key without expiry, and so always gets one.
    if (set.expiresAt === Number.POSITIVE_INFINITY || set.expiresAt < expiresAt) set.expiresAt = expiresAt;
    return victims;
  }

  private remove(userId: string, ids: readonly string[]): void {
    const set = this.live(userId);
    if (!set) return;
    for (const id of ids) set.members.delete(id);
    // Valkey deletes an empty sorted set, and its expiry with it.
    if (set.members.size === 0) this.sets.delete(userId);
  }

  private ordered(userId: string): RegisteredSession[] {
    const set = this.live(userId);
    return set ? sortMembers(set) : [];
  }

  private newestScore(set: UserSet): number | undefined {
    let top: number | undefined;
    for (const score of set.members.values()) if (top === undefined || score > top) top = score;
    return top;
  }

  /** The user's set unless it has expired (then it is dropped, as Valkey drops the key). */
  private live(userId: string): UserSet | undefined {
    const now = this.clock.nowMs();
    if (now >= this.nextSweepAt) this.sweep(now);
    const set = this.sets.get(userId);
    if (set && set.expiresAt <= now) {
      this.sets.delete(userId);
      return undefined;
    }
    return set;
  }

  /** Drops expired sets, at most once per interval, so memory stays bounded by live users. */
  private sweep(now: number): void {
    for (const [userId, set] of this.sets) if (set.expiresAt <= now) this.sets.delete(userId);
    this.nextSweepAt = now + this.sweepIntervalMs;
  }

  /** Runs `task` after every earlier task of the same user has settled. */
  private exclusive<T>(userId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(userId) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.then(ignore, ignore);
    this.locks.set(userId, tail);
    void tail.then(() => {
      if (this.locks.get(userId) === tail) this.locks.delete(userId);
    });
    return run;
  }
}

/** Oldest first; equal scores by id, as Valkey orders a sorted set (ids are ASCII). */
function sortMembers(set: UserSet): RegisteredSession[] {
  return [...set.members]
    .map(([sessionId, registeredAt]) => ({ sessionId, registeredAt }))
    .sort((a, b) => a.registeredAt - b.registeredAt || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
}
