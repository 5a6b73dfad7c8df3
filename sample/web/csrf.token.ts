import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AxessSession } from '@axess/nestjs-session';

/** Session data key holding the session's CSRF token. */
export const CSRF_SESSION_KEY = 'csrf';

/** Form field carrying the token back. */
export const CSRF_FIELD = '_csrf';

const mint = (): string => randomBytes(32).toString('base64url');

/**
 * The session's CSRF token, minted and stored on first use. For an anonymous visitor this
 * creates a session (written after the handler): the sign-in form needs a token too, against
 * login CSRF (an attacker signing the victim into the attacker's account).
 */
export function csrfTokenFor(session: AxessSession): string {
  const existing = session.get(CSRF_SESSION_KEY);
  if (typeof existing === 'string' && existing.length > 0) return existing;
  return rotateCsrfToken(session);
}

/** Replaces the token (at sign-in, so a token seen before the login is worthless after it). */
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
