import { Clock } from '../clock/clock.js';
import { SystemClock } from '../clock/system.clock.js';
import { isSessionId } from '../crypto/session-id.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import { assertSessionId } from '../crypto/session-id.js';
import { KeyLayout } from './key-layout.js';
import { SessionStore } from '../store/session-store.js';
import { assertTtl } from '../store/ttl.js';
import { luaScript, runLuaScript } from './lua-script.js';
import { assertDurableWrites, type DurableWritesOptions } from './durable-writes.js';
import type { ValkeyClient } from './valkey-client.js';
import { ADMISSION_SCRIPT } from './admission.script.js';
import { replicatedAbsence } from './replicated-absence.js';
import { liveSessionIds } from '../registry/live-sessions.js';
import { assertMaxSessions, DEFAULT_REGISTRY_LIFETIME_MS, scoreInstant } from '../registry/registry-limits.js';
import { assertSessionLimitPolicy, DEFAULT_SESSION_LIMIT_POLICY, type SessionLimitPolicy } from '../registry/session-limit.js';
import { SessionRegistry, type AdmitOptions, type RegisteredSession } from '../registry/session-registry.js';

/** Options of {@link ValkeySessionRegistry}. */
export interface ValkeySessionRegistryOptions {
  /**
   * The session store: the registry checks which members still have a record and ends evicted
   * ones. On one server (or a Sentinel primary) with a Valkey store, the admission script does
   * both itself, so the store must use the registry's `prefix`.
   */
  store: SessionStore;
  /** Source of registry scores and expiry. @default new SystemClock() */
  clock?: Clock;
  /** Key prefix (the store's too). @default 'axess' */
  prefix?: string;
  /** How long a session can live from its registration; the set expires this long after its newest member. @default 30 days */
  lifetimeMs?: number;
  /**
   * Make admissions and registrations wait until `replicas` replicas acknowledged them (`WAIT`
   * behind the script, on the node holding the user's set), as the store's `durableWrites` does
   * for records: a session admitted before a failover stays counted and revocable after it, and
   * an eviction stays done. Too few acknowledgements fail with `SessionStoreError('replication')`.
   */
  durableWrites?: DurableWritesOptions;
}

const ADMISSION = luaScript(ADMISSION_SCRIPT);

/** Width of the registry's expiry buckets (see the admission script): a hundredth of the lifetime, a minute at most. */
function expirySlackMs(lifetimeMs: number): number {
  return Math.max(1, Math.min(60_000, Math.floor(lifetimeMs / 100)));
}

/** One admission's inputs, as `admit` checked them. */
interface Admission {
  key: string;
  sessionId: string;
  cap: number;
  onLimit: SessionLimitPolicy;
  options: AdmitOptions;
  written: Promise<unknown> | undefined;
}

/** A member as stored: a negative score marks a session evicted on a Cluster whose record may still exist. */
interface StoredMember {
  sessionId: string;
  score: number;
}

/**
 * The per-user registry in Valkey: `{prefix}:reg:{userId}` is a sorted set of session ids scored
 * by their registration instant (epoch ms from the injected `Clock`), so the oldest comes first.
 * The client is the caller's and is never modified or closed.
 *
 * Admission on one server (or a Sentinel primary) is one script, sent behind the new record's
 * write: it checks the members' records, evicts and ends the victims (marker and deletion) in one
 * atomic step, one round trip in all. On a Cluster, records live in other slots, which a script
 * may not touch: members are read and their records checked first, and victims stay in the set,
 * marked, until their records are gone (I6 in docs/architecture.md), four round trips in all (five
 * when it evicts; with `durableWrites`, one more when a member's record is gone, to confirm that on
 * the replicas before pruning it).
 */
export class ValkeySessionRegistry extends SessionRegistry {
  /** The key layout in use (for this package's own tests and benchmarks). @internal */
  readonly keys: KeyLayout;
  private readonly store: SessionStore;
  private readonly clock: Clock;
  private readonly lifetimeMs: number;
  private readonly durableWrites?: DurableWritesOptions;
  /** Whether the admission script can reach the session records (same server, Valkey store). */
  private readonly recordsInReach: boolean;

  constructor(
    private readonly client: ValkeyClient,
    options: ValkeySessionRegistryOptions,
  ) {
    super();
    this.keys = new KeyLayout(options.prefix);
    this.store = options.store;
    this.clock = options.clock ?? new SystemClock();
    this.lifetimeMs = options.lifetimeMs ?? DEFAULT_REGISTRY_LIFETIME_MS;
    assertTtl(this.lifetimeMs, 'lifetimeMs', 'option');
    if (options.durableWrites !== undefined) {
      assertDurableWrites(options.durableWrites);
      this.durableWrites = { replicas: options.durableWrites.replicas, timeoutMs: options.durableWrites.timeoutMs };
    }
    this.recordsInReach = !client.isCluster && this.store.backend === 'valkey';
  }

  override async register(userId: string, sessionId: string): Promise<void> {
    const key = this.keys.registry(userId);
    assertSessionId(sessionId);
    // Admission without a cap: the same scoring and expiry in one script.
    await this.admitHere({ key, sessionId, cap: 0, onLimit: 'evict-oldest', options: {}, written: undefined }, 'register');
  }

  async unregister(userId: string, sessionId: string): Promise<void> {
    const key = this.keys.registry(userId);
    assertSessionId(sessionId);
    await this.call('unregister', () => this.client.zrem(key, sessionId));
  }

  override async isValid(userId: string, sessionId: string): Promise<boolean> {
    const key = this.keys.registry(userId);
    if (!isSessionId(sessionId)) return false;
    // Issued together: one round trip.
    const [score, live] = await Promise.all([
      this.call('isValid', () => this.client.zscore(key, sessionId)),
      this.store.existing([sessionId]),
    ]);
    return score !== null && live.has(sessionId);
  }

  /**
   * Every member as stored, oldest first, dead ones included. A victim a Cluster admission could
   * not end (its reply lost) is listed too, at its first score: its session may still be alive,
   * so it stays listable and revocable until an admission or a revocation ends it; it is flagged
   * `evicted` (it no longer counts).
   */
  async members(userId: string): Promise<RegisteredSession[]> {
    const stored = await this.stored(userId);
    return stored.map((m) =>
      m.score < 0 ? { sessionId: m.sessionId, registeredAt: -m.score, evicted: true } : { sessionId: m.sessionId, registeredAt: m.score },
    );
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
    // Mark it handled now: it may reject while the admission is in flight; it is awaited later.
    written?.catch(() => undefined);
    const key = this.keys.registry(userId);
    assertSessionId(sessionId);
    assertMaxSessions(maxSessions, 'argument', 'maxSessions');
    const onLimit = options.onLimit ?? DEFAULT_SESSION_LIMIT_POLICY;
    assertSessionLimitPolicy(onLimit, 'onLimit');
    if (options.retiring !== undefined) assertSessionId(options.retiring);
    const admission: Admission = { key, sessionId, cap: maxSessions, onLimit, options, written };
    return this.recordsInReach ? this.admitHere(admission, 'admit') : this.admitAcross(userId, admission);
  }

  /**
   * Low level: removes the member and deletes its record, without a gone-marker, an event or a
   * count (not part of `SessionRegistry`). Apps revoke with `AxessSessionService.revokeSession`.
   */
  async invalidateSession(userId: string, sessionId: string): Promise<void> {
    const key = this.keys.registry(userId);
    assertSessionId(sessionId);
    // The record first: a member leaves only once its session is ended.
    await this.store.delete(sessionId);
    await this.call('invalidateSession', () => this.client.zrem(key, sessionId));
  }

  async invalidateUser(userId: string): Promise<string[]> {
    const key = this.keys.registry(userId);
    const stored = await this.stored(userId);
    if (stored.length === 0) return [];
    // Victims still marked go too (their record, if a lost reply left it).
    const ids = stored.map((m) => m.sessionId);
    const deletable = ids.filter(isSessionId);
    // Records first, then ZREM of exactly the ids read (not DEL): a member leaves only once its
    // session is ended, and a session admitted meanwhile stays tracked and revocable instead of
    // living on outside the registry. The set vanishes once empty.
    if (deletable.length > 0) await this.store.delete(...deletable);
    await this.call('invalidateUser', () => this.client.zrem(key, ...ids));
    return ids;
  }

  /**
   * One server: the script is sent at once (a re-sign-in's once its rotation won), behind the new
   * record's write on the same connection, and does everything; it answers `-1` when the record was not there yet (the
   * write went another way), and then runs again once the write has settled.
   */
  private async admitHere(admission: Admission, operation: string): Promise<string[] | null> {
    const { options, written } = admission;
    const run = () => this.runAdmission(admission, [], written ? 'verify' : 'here', operation);
    // A re-sign-in waits for its rotation: a losing one (its record deleted once it learns) must not be admitted.
    if (options.replacing !== undefined) await written;
    const first = run();
    first.catch(() => undefined);
    await written;
    const reply = await first;
    if (reply !== -1) return reply;
    const again = await run();
    if (again === -1) throw new SessionStoreError('command', `Valkey ${operation} failed: the new session's record is missing.`);
    return again;
  }

  /**
   * Cluster: members and their records are read first (other slots), the script decides, and the
   * victims it marked are ended after it, with any marked earlier whose record is still alive (a
   * reply lost to a timeout last time).
   */
  private async admitAcross(userId: string, admission: Admission): Promise<string[] | null> {
    const { sessionId, options, written } = admission;
    const stored = (await this.stored(userId)).filter((m) => m.sessionId !== sessionId);
    const live = await this.store.existing(stored.map((m) => m.sessionId));
    // Only now may the member appear: a member without a record would look dead to a concurrent login.
    await written;
    const dead = await this.confirmedDead(stored.filter((m) => !live.has(m.sessionId)).map((m) => m.sessionId));
    const reply = await this.runAdmission(admission, dead, 'across', 'admit');
    if (reply === null || reply === -1) return null;
    const leftover = stored.filter((m) => m.score < 0 && live.has(m.sessionId)).map((m) => m.sessionId);
    const ended = [...leftover, ...reply].filter(isSessionId);
    const marker = options.evictionMarker;
    await Promise.all([
      ended.length === 0 ? undefined : marker ? this.store.markGone(ended, marker.reason, marker.ttlMs) : this.store.delete(...ended),
      options.retiring === undefined ? undefined : this.store.delete(options.retiring),
    ]);
    // Their records are gone: now the marked members may go (a failure leaves them for the next
    // admission). Concurrent admissions may end the same leftover: the one whose ZREM removes a
    // member reports it, so each eviction is reported once.
    const removed = await Promise.all(ended.map((id) => this.call('admit', () => this.client.zrem(admission.key, id))));
    return ended.filter((_, i) => removed[i] === 1);
  }

  /**
   * Members to prune as dead: with `durableWrites`, only those whose record's absence the replicas
   * confirm (a deletion the failover would undo, e.g. of a revocation answered 503, is not a death).
   */
  private async confirmedDead(candidates: string[]): Promise<string[]> {
    if (!this.durableWrites || candidates.length === 0 || this.store.backend !== 'valkey') return candidates;
    const keys = candidates.map((id) => this.keys.session(id));
    const absent = await replicatedAbsence(this.client, this.durableWrites, keys, 'admit');
    return candidates.filter((_, i) => absent[i]);
  }

  /** Runs the admission script: the ended ids, `null` when it refused the session, `-1` when its record was missing. */
  private async runAdmission(
    { key, sessionId, cap, onLimit, options }: Admission,
    dead: string[],
    reach: 'here' | 'verify' | 'across',
    operation: string,
  ): Promise<string[] | null | -1> {
    const here = reach !== 'across';
    const now = scoreInstant(this.clock.nowMs());
    const marker = here ? options.evictionMarker : undefined;
    const args = [
      now,
      cap,
      this.lifetimeMs,
      sessionId,
      onLimit === 'refuse' ? 'refuse' : 'evict',
      here ? this.keys.sessionPrefix : '',
      here ? this.keys.gonePrefix : '',
      marker?.reason ?? '',
      marker?.ttlMs ?? 0,
      here ? (options.retiring ?? '') : '',
      options.replacing ?? '',
      expirySlackMs(this.lifetimeMs),
      reach === 'verify' ? '1' : '',
      ...dead,
    ];
    const reply = await runLuaScript(this.client, ADMISSION, key, args, operation, this.durableWrites);
    return Array.isArray(reply) ? (reply as string[]) : reply === -1 ? -1 : null;
  }

  /** Every member with its score as stored, lowest first. */
  private async stored(userId: string): Promise<StoredMember[]> {
    const key = this.keys.registry(userId);
    const flat = await this.call('members', () => this.client.zrange(key, 0, -1, 'WITHSCORES'));
    const result: StoredMember[] = [];
    for (let i = 0; i < flat.length; i += 2) result.push({ sessionId: flat[i], score: Number(flat[i + 1]) });
    return result;
  }

  private async call<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw SessionStoreError.fromClient(operation, error);
    }
  }
}
