import { InvalidIdentifierError } from '../errors/invalid-identifier.error.js';

/** Longest accepted user id, in UTF-8 bytes. */
export const MAX_USER_ID_BYTES = 512;

/**
 * Throws `InvalidIdentifierError` unless `userId` is a non-empty, well-formed string of at most
 * {@link MAX_USER_ID_BYTES} UTF-8 bytes. Any characters are allowed (`:`, braces, `*`, spaces,
 * non-ASCII): the key is prefix + id, which is injective. Lone surrogates are refused because
 * UTF-8 encoding would map distinct ids to the same bytes.
 */
export function assertUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new InvalidIdentifierError('userId', 'must be a non-empty string.');
  }
  if (!userId.isWellFormed()) {
    throw new InvalidIdentifierError('userId', 'contains a lone UTF-16 surrogate.');
  }
  if (Buffer.byteLength(userId, 'utf8') > MAX_USER_ID_BYTES) {
    throw new InvalidIdentifierError('userId', `must be at most ${MAX_USER_ID_BYTES} bytes in UTF-8.`);
  }
}
