import type { SessionRecord } from '../codec/session-record.js';

/**
 * A hook the session middleware calls when the loaded record still awaits its registration
 * (`SessionRecord.pendingAdmission`: a `failOpen` login went through while the registry could not
 * admit it). The session layer provides it; the HTTP layer knows only this contract.
 */
export abstract class PendingAdmission {
  /**
   * Admits the session under its cap, then clears the flag in the store and in `record`. Never
   * rejects: while the registry still fails, the flag stays and the next request tries again.
   */
  abstract complete(id: string, record: SessionRecord): Promise<void>;
}
