import { ConflictException } from '@nestjs/common';
import type { SessionRecord } from '../codec/session-record.js';
import { AxessUnauthorizedException } from '../http/unauthorized.exception.js';
import type { SessionStore } from '../store/session-store.js';

/** The `reason` of the 409 a re-sign-in gets when another request re-signed in the same session first. */
export const SESSION_ROTATED_CONCURRENTLY = 'session-rotated-concurrently';

/** The 409 of a re-sign-in that lost the race: its session already moved to the winner's id. */
export class AxessConcurrentRotationException extends ConflictException {
  /** Why the sign-in was refused: `session-rotated-concurrently`. */
  readonly reason = SESSION_ROTATED_CONCURRENTLY;

  constructor() {
    super({ statusCode: 409, message: 'Conflict', reason: SESSION_ROTATED_CONCURRENTLY });
  }
}

/**
 * Moves a signed-in session to `newId` for a re-sign-in (`SessionStore.rotate`: the old record
 * is deleted in the same round trip). Only one of several concurrent re-sign-ins of a session
 * finds the old record: the others reject with {@link AxessConcurrentRotationException} (their new
 * record deleted), so exactly one id stays live and the user's count cannot grow.
 * A session that ended meanwhile (evicted, revoked, logged out elsewhere: its gone-marker says
 * so) rejects with the 401 of an ended session and its reason instead: nothing rotated it, and
 * the client must sign in again rather than retry. A rotation never leaves a marker.
 */
export async function rotateSignedIn(
  store: SessionStore,
  oldId: string,
  newId: string,
  record: SessionRecord,
  ttlMs: number,
): Promise<void> {
  if (await store.rotate(oldId, newId, record, ttlMs)) return;
  // Only on the losing path: one more read, and a failed one leaves the 409 as it was.
  const ended = await store.goneReason(oldId).catch(() => undefined);
  throw ended === undefined ? new AxessConcurrentRotationException() : new AxessUnauthorizedException(ended);
}
