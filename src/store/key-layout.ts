import { AxessOptionsError } from '../errors/axess-options.error.js';
import { InvalidIdentifierError } from '../errors/invalid-identifier.error.js';
import { isSessionId } from '../crypto/session-id.js';

/** Default key prefix. */
export const DEFAULT_PREFIX = 'axess';
/** Longest accepted user id, in UTF-8 bytes. */
export const MAX_USER_ID_BYTES = 512;

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The Valkey key layout: `{prefix}:sess:{sessionId}` (string), `{prefix}:reg:{userId}`
 * (sorted set) and `{prefix}:gone:{sessionId}` (string: why an ended session ended, short-lived).
 * Every id is validated before it becomes part of a key.
 */
export class KeyLayout {
  private readonly sessionPrefix: string;
  private readonly registryPrefix: string;
  private readonly gonePrefix: string;

  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    // Braces would turn the prefix into a hash tag and pin every key to one Cluster slot.
    if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
      throw new AxessOptionsError('prefix', 'must be 1-64 characters of A-Z a-z 0-9 _ . : - (no braces or spaces).');
    }
    this.sessionPrefix = `${prefix}:sess:`;
    this.registryPrefix = `${prefix}:reg:`;
    this.gonePrefix = `${prefix}:gone:`;
  }

  session(sessionId: string): string {
    assertSessionId(sessionId);
    return this.sessionPrefix + sessionId;
  }

  /** Key of the marker saying why `sessionId` ended. */
  gone(sessionId: string): string {
    assertSessionId(sessionId);
    return this.gonePrefix + sessionId;
  }

  registry(userId: string): string {
    assertUserId(userId);
    return this.registryPrefix + userId;
  }
}

/** Throws `InvalidIdentifierError` unless `sessionId` has the minted shape. */
export function assertSessionId(sessionId: unknown): asserts sessionId is string {
  if (!isSessionId(sessionId)) throw new InvalidIdentifierError('sessionId', 'not a session id minted by this library.');
}

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
