import { SessionCipher } from './session-cipher.js';

/**
 * Stores records unencrypted. Only for apps that explicitly opt in (e.g. Valkey already sits
 * behind disk encryption and a private network); the stores log a warning when it is used.
 */
export class PlaintextSessionCipher extends SessionCipher {
  readonly encrypts = false;

  seal(_sessionId: string, plaintext: Buffer): Buffer {
    return plaintext;
  }

  open(_sessionId: string, sealed: Buffer): Buffer {
    return sealed;
  }

  /** Plaintext deployments share a prefix only with each other. */
  override keyFingerprints(): string[] {
    return ['plaintext'];
  }
}
