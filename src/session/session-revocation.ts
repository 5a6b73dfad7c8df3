import { SessionHandles } from '../crypto/session-handle.js';
import { isSessionId } from '../crypto/session-id.js';
import { AxessSessionEvents } from '../events/axess-session-events.service.js';
import { SessionEndReason } from '../events/session-event.types.js';
import { SessionRegistry } from '../registry/session-registry.js';
import { SessionStore } from '../store/session-store.js';
import { AxessTelemetry } from '../telemetry/axess-telemetry.js';

/** What a revocation needs from the service. */
export interface SessionRevocationDeps {
  store: SessionStore;
  registry: SessionRegistry;
  events: AxessSessionEvents;
  telemetry: AxessTelemetry;
  /** Resolves public handles to ids (keyed by the signing key). */
  handles: SessionHandles;
  /** How long gone-markers are kept. */
  markerTtlMs: number;
  /** Runs a backend call, turning its failure into the service's 503. */
  backend: <T>(operation: () => Promise<T>) => Promise<T>;
}

/**
 * How `AxessSessionService` revokes sessions: each way leaves a gone-marker with its reason,
 * emits the event (relayed to the other instances) and counts `axess.sessions.ended{reason}`.
 */
export class SessionRevocation {
  constructor(private readonly deps: SessionRevocationDeps) {}

  /**
   * Marks and deletes `ids` (one round trip whatever their number), then unregisters them: a
   * member leaves the registry only once its record's end is done, so a deletion that fails (or is
   * lost with a primary on a Cluster, where the registry lives elsewhere) leaves the session
   * reachable by the next revocation instead of alive outside the registry.
   */
  async sessions(userId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const { store, registry, markerTtlMs } = this.deps;
    await this.deps.backend(async () => {
      await store.markGone(ids, SessionEndReason.revoked, markerTtlMs);
      await Promise.all(ids.map((id) => registry.unregister(userId, id)));
    });
    this.ended(userId, ids);
  }

  /** One session, if it is a live session of this user (its registry member with a record); returns it, or nothing. */
  async one(userId: string, sessionId: string): Promise<string[]> {
    if (!(await this.deps.backend(() => this.deps.registry.isValid(userId, sessionId)))) return [];
    await this.sessions(userId, [sessionId]);
    return [sessionId];
  }

  /**
   * The session whose public handle is `handle`, searched among this user's registry members
   * only: another user's handle, a stale or a malformed one, matches nothing and revokes nothing.
   */
  async byHandle(userId: string, handle: unknown): Promise<string[]> {
    const { handles, registry } = this.deps;
    handles.assertConfigured();
    const members = (await this.deps.backend(() => registry.members(userId))).map((m) => m.sessionId);
    const id = handles.find(handle, members);
    return id === undefined ? [] : this.one(userId, id);
  }

  /** Every session of the user; returns the ids the registry held. */
  async user(userId: string): Promise<string[]> {
    const { store, registry, markerTtlMs } = this.deps;
    const ids = (await this.deps.backend(() => registry.members(userId))).map((m) => m.sessionId);
    const markable = ids.filter(isSessionId);
    // Markers and records first, the registry once they are done (see `sessions`); it re-reads
    // its members, so a session admitted meanwhile is revoked too.
    const revoked = await this.deps.backend(async () => {
      if (markable.length > 0) await store.markGone(markable, SessionEndReason.revoked, markerTtlMs);
      return registry.invalidateUser(userId);
    });
    this.ended(userId, [...new Set([...ids, ...revoked])]);
    return revoked;
  }

  /**
   * Every session under the prefix: the store lists its ids (Valkey: `SCAN` on every primary)
   * and each batch gets its markers and record deletions in one round trip of single-key
   * commands (I6). Requests pay nothing for it: a swept session's next load finds no record, as
   * after any revocation. One event (no session id) tells every instance to close all its
   * sockets; local caches drop their copies through the deletions' invalidations.
   *
   * Guarantee: every record that exists when the call starts and until its batch is listed is
   * deleted. A record written during the sweep (a sign-in or an id rotation completing
   * meanwhile) may survive. Registries are left to prune their now-dead members.
   * @returns how many sessions it ended.
   */
  async everyone(): Promise<number> {
    const { store, markerTtlMs } = this.deps;
    let count = 0;
    try {
      await this.deps.backend(async () => {
        for await (const ids of store.sessionIds()) {
          const valid = ids.filter(isSessionId);
          if (valid.length === 0) continue;
          await store.markGone(valid, SessionEndReason.revokedEveryone, markerTtlMs);
          count += valid.length;
        }
      });
    } finally {
      // Also after a failure part-way: what was swept is ended and the instances must close its sockets.
      this.deps.events.emit({ type: 'revoked', reason: SessionEndReason.revokedEveryone });
      this.deps.telemetry.sessionsEnd(SessionEndReason.revokedEveryone, count);
    }
    return count;
  }

  private ended(userId: string, ids: readonly string[]): void {
    for (const id of ids) this.deps.events.emit({ type: 'revoked', userId, sessionId: id, reason: SessionEndReason.revoked });
    this.deps.telemetry.sessionsEnd(SessionEndReason.revoked, ids.length);
  }
}
