import { InvalidIdentifierError } from '../errors/invalid-identifier.error.js';

/**
 * Throws `InvalidIdentifierError` unless `userId` is a non-empty string. Any string works: any
 * characters (`:`, braces, `*`, spaces, non-ASCII, even a lone UTF-16 surrogate) and any length;
 * how an id becomes a key is the key layout's business (long or ill-formed ids are hashed).
 */
export function assertUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new InvalidIdentifierError('userId', 'must be a non-empty string.');
  }
}
