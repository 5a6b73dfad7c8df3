import { randomBytes } from 'node:crypto';
import { InvalidIdentifierError } from '../errors/invalid-identifier.error.js';

/** 24 random bytes: 192 bits of entropy, 32 base64url characters, no padding. */
const ID_BYTES = 24;
const ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/** Mints a fresh, unguessable, URL-safe session id. */
export function mintSessionId(): string {
  return randomBytes(ID_BYTES).toString('base64url');
}

/**
 * True when `value` has the exact shape this library mints. Anything else never reaches a key:
 * no wildcards, separators, hash tags or control characters can ride in on a session id.
 */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** Throws `InvalidIdentifierError` unless `sessionId` has the minted shape. */
export function assertSessionId(sessionId: unknown): asserts sessionId is string {
  if (!isSessionId(sessionId)) throw new InvalidIdentifierError('sessionId', 'not a session id minted by this library.');
}
