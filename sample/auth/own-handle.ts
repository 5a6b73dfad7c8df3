import type { AxessSession, AxessSessionService } from '@axess/nestjs-session';

/**
 * True when `handle` names the session making the request. A plain comparison is enough here:
 * the requester's own handle is no secret to it (its devices page shows it); other handles are
 * resolved by `revokeByHandle`, among the user's own sessions, in constant time.
 */
export function isOwnHandle(sessions: AxessSessionService, session: AxessSession, handle: string): boolean {
  return session.id !== undefined && handle === sessions.sessionHandle(session.id);
}
