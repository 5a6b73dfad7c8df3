import { createHmac, KeyObject, timingSafeEqual } from 'node:crypto';
import { AxessOptionsError } from '../errors/axess-options.error.js';
import { deriveHmacKey } from './derived-key.js';
import { importSecretKey, type SecretKeyInput } from './secret-key.js';
import { assertSessionId, isSessionId } from './session-id.js';

/** HKDF `info` label: the derived key makes session handles and nothing else (not the cookie key). */
const HANDLE_KEY_INFO = 'axess/nestjs-session v1 session-handle HMAC-SHA256';
/** A handle keeps 128 bits of the MAC: unguessable, and short in a URL. */
const HANDLE_BYTES = 16;
/** A handle as `of` writes it: 16 bytes in unpadded base64url. */
const HANDLE_TEXT = /^[A-Za-z0-9_-]{22}$/;

/** True when `value` has the shape of a session handle (it may still name no session). */
export function isSessionHandle(value: unknown): value is string {
  return typeof value === 'string' && HANDLE_TEXT.test(value);
}

/**
 * Public handles of sessions: `base64url(HMAC-SHA256(handleKey, sessionId))` cut to 128 bits, the
 * handle key derived from the signing key by HKDF under its own label. A handle names a session
 * in device lists and revocation URLs without giving away its id (which is the bearer secret
 * inside the cookie): nobody without the signing key can turn a handle into an id, or an id into
 * its handle. Deterministic, so it is stable for the life of the session (a page can list and
 * then revoke) on every instance; it changes when the id rotates.
 */
export class SessionHandles {
  private readonly key?: KeyObject;

  /** Without a signing key the handles refuse to work: `of` and `find` throw `AxessOptionsError`. */
  constructor(signingKey: KeyObject | SecretKeyInput | undefined) {
    if (signingKey === undefined) return;
    const master = signingKey instanceof KeyObject ? signingKey : importSecretKey('signingKey', signingKey);
    this.key = deriveHmacKey(master, HANDLE_KEY_INFO);
  }

  /** The handle of `sessionId`; throws `InvalidIdentifierError` for anything not a minted id. */
  of(sessionId: string): string {
    assertSessionId(sessionId);
    return this.mac(this.requireKey(), sessionId);
  }

  /**
   * The id among `sessionIds` whose handle is `handle`, else `undefined` (a malformed handle
   * included; never throws for it). Every candidate is compared in constant time, and all of
   * them are compared, so the answer's timing says nothing of which one matched or how closely.
   */
  find(handle: unknown, sessionIds: readonly string[]): string | undefined {
    const key = this.requireKey();
    if (!isSessionHandle(handle)) return undefined;
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
