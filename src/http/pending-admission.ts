import type { SessionRecord } from '../codec/session-record.js';

/** The middleware's hook for a record still awaiting registration (a `failOpen` login the registry could not admit). */
export abstract class PendingAdmission {
  /** Admits the session and clears the flag; never rejects (the next request retries). */
  abstract complete(id: string, record: SessionRecord): Promise<void>;
}
