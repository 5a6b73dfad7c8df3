/**
 * Seals session records at rest. The session id is bound to the sealed bytes, so a blob copied
 * under another session's key does not open.
 * Override with `overrideProvider(SessionCipher)` or the module's `cipher` option.
 */
export abstract class SessionCipher {
  /** False only for the explicit plaintext opt-in. */
  abstract readonly encrypts: boolean;

  /** Seals `plaintext` for `sessionId` with the current key. */
  abstract seal(sessionId: string, plaintext: Buffer): Buffer;

  /**
   * Opens bytes sealed for `sessionId`, trying the current key then each previous key.
   * Throws `SessionStoreError` of kind `decrypt` when none authenticates.
   */
  abstract open(sessionId: string, sealed: Buffer): Buffer;
}
