import { createHash } from 'node:crypto';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { assertSessionId } from '../crypto/session-id.js';
import { assertUserId } from '../registry/user-id.js';

/** Default key prefix. */
export const DEFAULT_PREFIX = 'axess';

const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Longest user id, in UTF-8 bytes, that is written into its registry key as it is. */
export const MAX_PLAIN_USER_ID_BYTES = 512;

/**
 * The Valkey key layout: `{prefix}:sess:{sessionId}` (string), `{prefix}:reg:{userId}`
 * (sorted set), `{prefix}:gone:{sessionId}` (string: why an ended session ended, short-lived) and
 * `{prefix}:keyring` (set: fingerprints of the encryption keys in use under the prefix).
 * Every id is validated before it becomes part of a key.
 *
 * A user id longer than {@link MAX_PLAIN_USER_ID_BYTES} UTF-8 bytes, or not well-formed UTF-16
 * (a lone surrogate, which UTF-8 cannot carry), goes into its registry key as the SHA-256 of its
 * UTF-16 code units: `{prefix}:regh:{hex}`. The mapping stays one-to-one: plain keys never start
 * with `regh:`, and the hash input is the whole id, unit for unit.
 */
export class KeyLayout {
  /** What every session key starts with: `{prefix}:sess:` (a local cache tracks changes under it). */
  readonly sessionPrefix: string;
  private readonly registryPrefix: string;
  /** What every gone-marker key starts with: `{prefix}:gone:` (the admission script writes markers). */
  readonly gonePrefix: string;

  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    // Braces would turn the prefix into a hash tag and pin every key to one Cluster slot.
    if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
      throw new AxessOptionsError('prefix', 'must be 1-64 characters of A-Z a-z 0-9 _ . : - (no braces or spaces).');
    }
    this.sessionPrefix = `${prefix}:sess:`;
    this.registryPrefix = `${prefix}:reg:`;
    this.gonePrefix = `${prefix}:gone:`;
    this.hashedRegistryPrefix = `${prefix}:regh:`;
    this.keyRing = `${prefix}:keyring`;
  }

  /** Key of the set of key-ring fingerprints in use under this prefix. */
  readonly keyRing: string;
  private readonly hashedRegistryPrefix: string;

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
    // A UTF-16 unit is at most 3 UTF-8 bytes: short ids need no byte count.
    const fits = userId.length * 3 <= MAX_PLAIN_USER_ID_BYTES || Buffer.byteLength(userId, 'utf8') <= MAX_PLAIN_USER_ID_BYTES;
    if (fits && userId.isWellFormed()) return this.registryPrefix + userId;
    return this.hashedRegistryPrefix + createHash('sha256').update(Buffer.from(userId, 'utf16le')).digest('hex');
  }
}
