import type { SessionRecord } from '../codec/session-record.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { SessionStore } from './session-store.js';

/**
 * Writes a session under a freshly minted id (`mode: 'create'`, never over an existing record).
 * A collision of 192-bit random ids means something is badly wrong: a `command` error, not a retry.
 */
export async function createSessionRecord(store: SessionStore, id: string, record: SessionRecord, ttlMs: number): Promise<void> {
  if (!(await store.save(id, record, ttlMs, { mode: 'create' }))) {
    throw new SessionStoreError('command', 'Session id collision: the fresh id already exists.');
  }
}
