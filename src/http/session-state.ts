import type { SessionData, SessionRecord } from '../codec/session-record.js';

/** A session the commit must delete (destroyed or logged out), with the user it was bound to. */
export interface DoomedSession {
  id: string;
  userId?: string;
}

/**
 * What one request knows and changed about its session, shared by the handle, the service and
 * the commit. Not part of the public API: handlers use `AxessSession`.
 */
export class SessionState {
  /** Id of the record this request loaded or wrote; `undefined` while the session exists only in memory. */
  storedId: string | undefined;
  /** The working copy; `undefined` until the session has any content. */
  record: SessionRecord | undefined;
  /** Data or binding changed since the last write. */
  dirty = false;
  /** Move the stored session to a new id at commit. */
  regenerate = false;
  /** Sessions to delete at commit (destroy). */
  readonly doomed: DoomedSession[] = [];
  /** An id the response must carry in a new cookie (the id changed). */
  cookieId: string | undefined;
  /** The response must clear the cookie (destroyed and nothing new replaced it). */
  clearCookie = false;
  /** Why the session the cookie named has ended (evicted, revoked, expired), when known. */
  endedReason: string | undefined;

  constructor(
    storedId: string | undefined,
    record: SessionRecord | undefined,
    private readonly nowMs: () => number,
  ) {
    this.storedId = record ? storedId : undefined;
    this.record = record;
  }

  /** The working data, creating an empty session on first use. */
  writableData(): SessionData {
    if (!this.record) this.record = { data: {}, createdAt: this.nowMs() };
    return this.record.data;
  }

  /** True when the commit has anything to do. */
  get pending(): boolean {
    return this.dirty || this.regenerate || this.doomed.length > 0 || this.cookieId !== undefined || this.clearCookie;
  }

  /** Forgets the session: its record is deleted at commit and the cookie cleared. */
  destroy(): void {
    if (this.storedId) this.doomed.push({ id: this.storedId, userId: this.record?.userId });
    this.forget();
    this.clearCookie = true;
  }

  /** The session is gone from the store (deleted, evicted, revoked): nothing may write it back. */
  forget(): void {
    this.storedId = undefined;
    this.record = undefined;
    this.dirty = false;
    this.regenerate = false;
    this.cookieId = undefined;
  }
}

const states = new WeakMap<object, SessionState>();

/** Ties a handle to its state (the handle's fields stay private to the library). */
export function bindSessionState(handle: object, state: SessionState): void {
  states.set(handle, state);
}

/** The state behind a handle. */
export function sessionStateOf(handle: object): SessionState {
  const state = states.get(handle);
  if (!state) throw new TypeError('Not an AxessSession created by the session middleware.');
  return state;
}
