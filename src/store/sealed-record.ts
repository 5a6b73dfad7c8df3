import type { Logger } from '@nestjs/common';
import type { SessionRecord } from '../codec/session-record.js';
import { SessionRecordCodec } from '../codec/session-record.codec.js';
import type { SessionCipher } from '../crypto/session-cipher.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import { assertWholeNumber } from '../errors/whole-number.js';

/** Default cap on a stored record, after encryption: 64 KiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

/** Called when a stored record cannot be read; the store then answers "no session". */
export type UnreadableRecordHook = (sessionId: string, error: SessionStoreError) => void;

/**
 * Encode + seal on the way in, size check + open + decode on the way out: the byte pipeline
 * both stores share, so the memory and Valkey backends treat payloads identically.
 */
export class SealedRecordFormat {
  private readonly codec = new SessionRecordCodec();

  constructor(
    readonly cipher: SessionCipher,
    readonly maxPayloadBytes: number,
  ) {
    // NaN or a string would make every `length > cap` comparison false: no cap at all.
    assertWholeNumber(maxPayloadBytes, 'maxPayloadBytes', { unit: 'bytes' });
  }

  toBytes(sessionId: string, record: SessionRecord): Buffer {
    const sealed = this.cipher.seal(sessionId, this.codec.encode(record));
    if (sealed.length > this.maxPayloadBytes) {
      throw new SessionStoreError(
        'payload-too-large',
        `Session record is ${sealed.length} bytes after encoding, over maxPayloadBytes (${this.maxPayloadBytes}).`,
      );
    }
    return sealed;
  }

  /** Opens stored bytes; the size cap is checked before any decryption or decoding. */
  fromBytes(sessionId: string, bytes: Buffer): SessionRecord {
    if (bytes.length > this.maxPayloadBytes) {
      throw new SessionStoreError(
        'payload-too-large',
        `Stored session is ${bytes.length} bytes, over maxPayloadBytes (${this.maxPayloadBytes}).`,
      );
    }
    return this.codec.decode(this.cipher.open(sessionId, bytes));
  }

  /** `fromBytes`, but an unreadable record is reported and read as "no session". */
  readOrReport(sessionId: string, bytes: Buffer, logger: Logger, hook?: UnreadableRecordHook): SessionRecord | null {
    try {
      return this.fromBytes(sessionId, bytes);
    } catch (error) {
      if (!(error instanceof SessionStoreError)) throw error;
      logger.warn(`Ignoring an unreadable session record (${error.kind}).`);
      try {
        hook?.(sessionId, error);
      } catch (hookError) {
        // A failing observer must not turn "no session" into a failed request.
        logger.error(`The onUnreadable hook threw: ${hookError instanceof Error ? hookError.message : String(hookError)}`);
      }
      return null;
    }
  }
}
