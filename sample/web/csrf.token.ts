import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AxessSession } from '@axess/nestjs-session';

/** Session data key holding the session's CSRF token. */
export const CSRF_SESSION_KEY = 'csrf';

/** Form field carrying the token back. */
export const CSRF_FIELD = '_csrf';

const mint = (): string => randomBytes(32).toString('base64url');

/**
 * The signed-in session's CSRF token for the devices page's forms, minted and stored on first
 * use. Not for anonymous visitors: storing a token would write a session for every page load;
 * the sign-in form has the stateless `SignInCsrf` instead.
 */
export function csrfTokenFor(session: AxessSession): string {
  const existing = session.get(CSRF_SESSION_KEY);
  if (typeof existing === 'string' && existing.length > 0) return existing;
  return rotateCsrfToken(session);
}

/**
 * Replaces the token. Called at every sign-in (JSON and form alike): data of an anonymous session
 * is carried into the signed-in one, so a token planted before the login must not survive it.
 */
export function rotateCsrfToken(session: AxessSession): string {
  const token = mint();
  session.set(CSRF_SESSION_KEY, token);
  return token;
}

/**
 * True when `submitted` equals the session's token. Both sides are hashed first so that
 * `timingSafeEqual` compares equal lengths: neither the token nor its length leaks by timing.
 */
export function csrfTokenMatches(session: AxessSession, submitted: unknown): boolean {
  const expected = session.get(CSRF_SESSION_KEY);
  if (typeof expected !== 'string' || expected.length === 0 || typeof submitted !== 'string') return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(submitted));
}
