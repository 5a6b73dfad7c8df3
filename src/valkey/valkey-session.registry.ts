import { Clock } from '../clock/clock.js';
import { SystemClock } from '../clock/system.clock.js';
import { isSessionId } from '../crypto/session-id.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import { assertSessionId } from '../crypto/session-id.js';
import { KeyLayout } from './key-layout.js';
import { SessionStore } from '../store/session-store.js';
import { assertTtl } from '../store/ttl.js';
import { luaScript, runLuaScript } from './lua-script.js';
import type { ValkeyClient } from './valkey-client.js';
import { ADMISSION_SCRIPT } from './admission.script.js';
import { liveSessionIds } from '../registry/live-sessions.js';
import { assertMaxSessions, DEFAULT_REGISTRY_LIFETIME_MS, scoreInstant } from '../registry/registry-limits.js';
import { assertSessionLimitPolicy, DEFAULT_SESSION_LIMIT_POLICY, type SessionLimitPolicy } from '../registry/session-limit.js';
import { SessionRegistry, type AdmitOptions, type RegisteredSession } from '../registry/session-registry.js';

/** Options of {@link ValkeySessionRegistry}. */
export interface ValkeySessionRegistryOptions {
  /** The session store: the registry checks which members still have a record and deletes evicted ones. */
  store: SessionStore;
  /** Source of registry scores and expiry. @default new SystemClock() */
  clock?: Clock;
  /** Key prefix. @default 'axess' */
  prefix?: string;
  /** How long a session can live from its registration; the set expires this long after its newest member. @default 30 days */
  lifetimeMs?: number;
}

const ADMISSION = luaScript(ADMISSION_SCRIPT);

/** The members to remove in the admission: those found dead, and the id a re-sign-in replaces. */
function dropped(ids: readonly string[], live: ReadonlySet<string>, replacing: string | undefined): string[] {
  const dead = ids.filter((id) => !live.has(id));
  return replacing === undefined || dead.includes(replacing) ? dead : [...dead, replacing];
}

/**
 * The per-user registry in Valkey: `{prefix}:reg:{userId}` is a sorted set of session ids scored
 * by their registration instant (epoch ms from the injected `Clock`), so the oldest comes first.
 * Every command and script touches that one key (Cluster-safe); records are reached through the
 * `SessionStore`. The client is the caller's and is never modified or closed.
 *
 * Round trips: register 1, isValid 1, activeSessions 2, admit ≤ 4 whatever the member count.
 */
export class ValkeySessionRegistry extends SessionRegistry {
  /** The key layout in use (for this package's own tests and benchmarks). @internal */
  readonly keys: KeyLayout;
  private readonly store: SessionStore;
  private readonly clock: Clock;
  private readonly lifetimeMs: number;

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
  }

  override async register(userId: string, sessionId: string): Promise<void> {
    const key = this.keys.registry(userId);
    assertSessionId(sessionId);
    // Admission without a cap: the same scoring and expiry in one script.
    await this.runAdmission(key, sessionId, 0, 'evict-oldest', [], 'register');
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

  async members(userId: string): Promise<RegisteredSession[]> {
    const key = this.keys.registry(userId);
    const flat = await this.call('members', () => this.client.zrange(key, 0, -1, 'WITHSCORES'));
    const result: RegisteredSession[] = [];
    for (let i = 0; i < flat.length; i += 2) result.push({ sessionId: flat[i], registeredAt: Number(flat[i + 1]) });
    return result;
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
    // Mark it handled now: it may reject while the reads below are in flight; it is awaited later.
    written?.catch(() => undefined);
    const key = this.keys.registry(userId);
    assertSessionId(sessionId);
    assertMaxSessions(maxSessions, 'argument', 'maxSessions');
    const onLimit = options.onLimit ?? DEFAULT_SESSION_LIMIT_POLICY;
    assertSessionLimitPolicy(onLimit, 'onLimit');
    const ids = (await this.members(userId)).map((m) => m.sessionId).filter((id) => id !== sessionId);
    const live = await this.store.existing(ids);
    // Only now may the member appear: a member without a record would look dead to a concurrent login.
    await written;
    const victims = await this.runAdmission(key, sessionId, maxSessions, onLimit, dropped(ids, live, options.replacing), 'admit');
    if (victims === null) return null;
    const deletable = victims.filter(isSessionId);
    const marker = options.evictionMarker;
    if (deletable.length > 0)
      await (marker ? this.store.markGone(deletable, marker.reason, marker.ttlMs) : this.store.delete(...deletable));
    return victims;
  }

  /**
   * Low level: removes the member and deletes its record, without a gone-marker, an event or a
   * count (not part of `SessionRegistry`). Apps revoke with `AxessSessionService.revokeSession`.
   */
  async invalidateSession(userId: string, sessionId: string): Promise<void> {
    const key = this.keys.registry(userId);
    assertSessionId(sessionId);
    await Promise.all([this.call('invalidateSession', () => this.client.zrem(key, sessionId)), this.store.delete(sessionId)]);
  }

  async invalidateUser(userId: string): Promise<string[]> {
    const key = this.keys.registry(userId);
    const ids = (await this.members(userId)).map((m) => m.sessionId);
    if (ids.length === 0) return [];
    const deletable = ids.filter(isSessionId);
    // ZREM of exactly the ids read (not DEL): a session admitted meanwhile stays tracked and
    // revocable instead of living on outside the registry. The set vanishes once empty.
    await Promise.all([
      this.call('invalidateUser', () => this.client.zrem(key, ...ids)),
      deletable.length > 0 ? this.store.delete(...deletable) : undefined,
    ]);
    return ids;
  }

  /** Runs the admission script; `null` when it refused the session (its integer reply). */
  private async runAdmission(
    key: string,
    sessionId: string,
    cap: number,
    onLimit: SessionLimitPolicy,
    dead: string[],
    operation: string,
  ): Promise<string[] | null> {
    const now = scoreInstant(this.clock.nowMs());
    const mode = onLimit === 'refuse' ? 'refuse' : 'evict';
    const reply = await runLuaScript(this.client, ADMISSION, key, [now, cap, this.lifetimeMs, sessionId, mode, ...dead], operation);
    return Array.isArray(reply) ? (reply as string[]) : null;
  }

  private async call<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw SessionStoreError.fromClient(operation, error);
    }
  }
}
