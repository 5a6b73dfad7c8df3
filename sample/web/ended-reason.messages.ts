import { SessionEndReason } from '@axess/nestjs-session';

/**
 * What the sign-in page tells a visitor whose session ended (`session.endedReason`). Unknown
 * reasons get a generic sentence: the page never shows a raw reason string.
 */
export function endedReasonMessage(reason: string | undefined): string | undefined {
  switch (reason) {
    case undefined:
      return undefined;
    case SessionEndReason.evicted:
      return 'You were signed out because of a newer sign-in on another device.';
    case SessionEndReason.revoked:
      return 'This device was signed out.';
    case SessionEndReason.absoluteTimeout:
      return 'Your session reached its maximum length. Please sign in again.';
    default:
      return 'You were signed out.';
  }
}
