/** The close code of a socket whose session ended (the reason says why, e.g. `revoked`). */
export const SESSION_ENDED_CLOSE_CODE = 4001;

/** The close code ("policy violation") of a socket closed by a limit: {@link TOO_MANY_SOCKETS} or {@link TOO_MANY_MESSAGES}. */
export const LIMIT_CLOSE_CODE = 1008;

/** Close reason of the oldest socket of a session that opened one more than `maxSocketsPerSession`. */
export const TOO_MANY_SOCKETS = 'too-many-sockets';

/** Close reason of a socket that sent more than `maxMessagesPerSecond`. */
export const TOO_MANY_MESSAGES = 'too-many-messages';

/** Longest WebSocket close reason: 123 bytes of UTF-8. */
const MAX_CLOSE_REASON_BYTES = 123;

/** `reason`, cut to what a close frame can carry. */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  return Buffer.from(reason)
    .subarray(0, MAX_CLOSE_REASON_BYTES)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
}
