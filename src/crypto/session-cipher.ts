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

  /**
   * Public names of the keys this cipher opens with, current first (fingerprints, never the keys).
   * At boot the module records them under its key prefix and refuses to share the prefix with a
   * deployment whose keys are all different. A cipher of your own may return `[]` to skip that.
   */
  keyFingerprints(): string[] {
    return [];
  }
}
