import type { Logger } from '@nestjs/common';
import { AxessUnauthorizedException } from '../http/unauthorized.exception.js';
import { SessionEndReason } from '../events/session-event.types.js';
import { assertMaxSessions } from '../registry/registry-limits.js';
import { assertSessionLimitPolicy, type SessionLimitPolicy } from '../registry/session-limit.js';
import { liveSessionIds } from '../registry/live-sessions.js';
import type { SessionRegistry } from '../registry/session-registry.js';
import type { SessionStore } from '../store/session-store.js';
import type { LoginPolicy } from './login-policy.js';
import { CONFIRMATION, type ConfirmationFlag } from './confirm-authentication.js';
import type { AuthenticateOptions } from './session-info.js';

/** The cap of one login and what a full cap does to it. */
export interface LoginLimit {
  /** The most sessions the user may hold; `undefined` = no cap. */
  cap: number | undefined;
  /** `'refuse'` only when there is a cap to refuse at. */
  onLimit: SessionLimitPolicy;
  /** A confirmation of the session's own authentication: its id is swapped, the user's count kept. */
  confirmation?: true;
  /** A confirmation's numeric cap, if any: it evicts nobody while the user holds no more than this. */
  confirmationCap?: number;
}

/**
 * The limit of this login: the call's (or the route's, through `MaxSessionsGuard`) cap and
 * policy, else the module's; a cap function is called with the user and the guard's context.
 * None for a confirmation of the session's own authentication.
 */
export async function loginLimitFor(
  policy: LoginPolicy,
  options: AuthenticateOptions & ConfirmationFlag,
  user: unknown,
): Promise<LoginLimit> {
  // A confirmation swaps its own id only: the old record is gone once rotated, so no admission
  // is needed and a cap lowered since (or a cap function without `req.user`) cannot evict anyone.
  if (options[CONFIRMATION]) {
    const configured = options.maxSessions ?? policy.maxSessionsPerUser;
    return {
      cap: undefined,
      onLimit: 'evict-oldest',
      confirmation: true,
      confirmationCap: typeof configured === 'number' ? configured : undefined,
    };
  }
  const setting = options.maxSessions ?? policy.maxSessionsPerUser;
  const onLimit = options.onSessionLimit ?? policy.onSessionLimit;
  assertSessionLimitPolicy(onLimit);
  if (setting === undefined) return { cap: undefined, onLimit: 'evict-oldest' };
  const cap = typeof setting === 'function' ? await setting(user, options.context) : setting;
  // A cap function's answer is a run-time value, not an option: an argument error names the function.
  if (typeof setting === 'function') assertMaxSessions(cap, 'argument', 'maxSessionsPerUser(user)');
  else assertMaxSessions(cap);
  return { cap, onLimit };
}

/**
 * Puts the login's new session in the user's registry once its record is written: a plain
 * registration without a cap, else the admission under `limit` (evicted sessions are marked as
 * evicted for `markerTtlMs`). Answers the evicted ids, or `null` when the cap refused it.
 */
export function admitLogin(
  registry: SessionRegistry,
  store: SessionStore,
  userId: string,
  sessionId: string,
  limit: LoginLimit,
  written: Promise<unknown>,
  markerTtlMs: number,
  /** A re-sign-in's old id, swapped for `sessionId` in the same admission; the pre-login id a capped sign-in retires. */
  { replacing, retiring }: { replacing?: string; retiring?: string } = {},
): Promise<string[] | null> {
  if (limit.confirmation && replacing !== undefined) {
    return swapConfirmed(registry, store, userId, sessionId, replacing, written, markerTtlMs, limit.confirmationCap ?? 0);
  }
  if (limit.cap === undefined) return written.then(() => registry.register(userId, sessionId)).then(() => []);
  return registry.admit(userId, sessionId, limit.cap, {
    recordWritten: written,
    evictionMarker: { reason: SessionEndReason.evicted, ttlMs: markerTtlMs },
    onLimit: limit.onLimit,
    ...(replacing === undefined ? {} : { replacing }),
    ...(retiring === undefined ? {} : { retiring }),
  });
}

/**
 * A confirmation's swap of `replacing` for `sessionId` in the registry, keeping the user's count.
 * A login elsewhere may evict `replacing` meanwhile: its admission takes the member out before it
 * deletes the record, so the rotation can still find the record, and registering the new id
 * then would give the user one session more than the cap. So `replacing` must still be a counted
 * member (an evicted one, or one gone with a marker, ends the session: 401 with the reason, and
 * the caller discards the new record), and the swap is an admission under the larger of the cap
 * and the count of the user's other live sessions plus this one: a session admitted between this
 * read and the swap that took the user past the cap (its own admission evicting this one) makes
 * it evict the oldest; one that did not evicts nobody.
 *
 * A concurrent login may also have pruned `replacing` as dead, finding its record already rotated
 * away by this confirmation (no marker: nobody ended it), and admitted its own session without
 * counting this one. Then the new id is admitted under the numeric cap like a sign-in after that
 * login, evicting the oldest; without a numeric cap the session counts as ended (401).
 */
async function swapConfirmed(
  registry: SessionRegistry,
  store: SessionStore,
  userId: string,
  sessionId: string,
  replacing: string,
  written: Promise<unknown>,
  markerTtlMs: number,
  floor: number,
): Promise<string[]> {
  written.catch(() => undefined);
  const evictionMarker = { reason: SessionEndReason.evicted, ttlMs: markerTtlMs };
  const all = await registry.members(userId);
  const own = all.find((m) => m.sessionId === replacing);
  // Flagged evicted (a Cluster victim not yet ended): out already, and not one to count.
  if (own?.evicted) throw new AxessUnauthorizedException(SessionEndReason.evicted);
  if (own === undefined) {
    const reason = await store.goneReason(replacing);
    if (reason !== undefined || floor === 0) throw new AxessUnauthorizedException(reason ?? SessionEndReason.evicted);
    return (await registry.admit(userId, sessionId, floor, { recordWritten: written, evictionMarker })) ?? [];
  }
  const members = all.filter((m) => m.evicted !== true);
  const live = await liveSessionIds(members, store);
  const cap = Math.max(floor, live.filter((id) => id !== replacing && id !== sessionId).length + 1);
  const evicted = await registry.admit(userId, sessionId, cap, { recordWritten: written, evictionMarker, replacing });
  return evicted ?? [];
}

/**
 * Switching users on one session: the previous user's registry forgets the old id. Not awaited
 * (a failure is logged): the login does not depend on it.
 */
export function leavePreviousUser(registry: SessionRegistry, logger: Logger, previousUserId?: string, oldId?: string): void {
  if (oldId === undefined || previousUserId === undefined) return;
  registry
    .unregister(previousUserId, oldId)
    .catch((error: unknown) => logger.warn(`Could not unregister the previous user's session: ${String(error)}`));
}

/** Best-effort removal of a session a failed or refused login wrote, or of the id a login replaced; never rejects (it logs). */
export async function discardRecord(store: SessionStore, logger: Logger, id: string): Promise<void> {
  await store.delete(id).catch((error: unknown) => logger.warn(`Could not delete a session record after a login: ${String(error)}`));
}
