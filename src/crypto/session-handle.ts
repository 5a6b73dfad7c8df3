import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { deriveHmacKey } from './derived-key.js';
import type { SecretKeyInput } from './secret-key.js';
import { assertSessionId, isSessionId } from './session-id.js';

/** HKDF `info` label: the derived key makes session handles and nothing else (not the cookie key). */
const HANDLE_KEY_INFO = 'axess/nestjs-session v1 session-handle HMAC-SHA256';
/** A handle keeps 128 bits of the MAC: unguessable, and short in a URL. */
const HANDLE_BYTES = 16;
/** A handle as `of` writes it: 16 bytes in unpadded base64url. */
const HANDLE_TEXT = /^[A-Za-z0-9_-]{22}$/;

/**
 * Public handles of sessions, `base64url(HMAC-SHA256(handleKey, sessionId))` cut to 128 bits: a
 * handle names a session in device lists and revocation URLs without giving away its id, and is
 * stable on every instance until the id rotates.
 */
export class SessionHandles {
  private readonly key?: KeyObject;

  /** Without a signing key the handles refuse to work: `of` and `find` throw `AxessOptionsError`. */
  constructor(signingKey: KeyObject | SecretKeyInput | undefined) {
    if (signingKey !== undefined) this.key = deriveHmacKey(signingKey, HANDLE_KEY_INFO);
  }

  /** The handle of `sessionId`; throws `InvalidIdentifierError` for anything not a minted id. */
  of(sessionId: string): string {
    assertSessionId(sessionId);
    return this.mac(this.requireKey(), sessionId);
  }

  /** The id among `sessionIds` whose handle is `handle`, else `undefined`; all are compared, in constant time. */
  find(handle: unknown, sessionIds: readonly string[]): string | undefined {
    const key = this.requireKey();
    if (typeof handle !== 'string' || !HANDLE_TEXT.test(handle)) return undefined;
    // Compared as canonical text: another spelling of the same bits (a non-zero pad bit) is refused.
    const given = Buffer.from(handle, 'latin1');
    let found: string | undefined;
    for (const id of sessionIds) {
      if (!isSessionId(id)) continue;
      if (timingSafeEqual(given, Buffer.from(this.mac(key, id), 'latin1')) && found === undefined) found = id;
    }
    return found;
  }

  /** Throws the `AxessOptionsError` naming `signingKey` when there is none (callers check before any round trip). */
  assertConfigured(): void {
    this.requireKey();
  }

  private requireKey(): KeyObject {
    if (this.key) return this.key;
    throw new AxessOptionsError(
      'signingKey',
      'is required for session handles (listSessions, sessionHandle, revokeByHandle): 32 random bytes, base64 (e.g. `openssl rand -base64 32`).',
    );
  }

  private mac(key: KeyObject, sessionId: string): string {
    return createHmac('sha256', key).update(sessionId, 'utf8').digest().subarray(0, HANDLE_BYTES).toString('base64url');
  }
}
