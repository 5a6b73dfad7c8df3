import { AxessOptionsError } from '../errors/axess-options.error.js';
import { assertSessionId } from '../crypto/session-id.js';
import { assertUserId } from '../registry/user-id.js';

/** Default key prefix. */
export const DEFAULT_PREFIX = 'axess';

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
