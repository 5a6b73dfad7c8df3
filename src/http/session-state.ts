import type { IncomingMessage } from 'node:http';
import { sameSessionData, snapshotSessionData } from '../codec/data-snapshot.js';
import type { SessionData, SessionRecord } from '../codec/session-record.js';
import { mintSessionId } from '../crypto/session-id.js';

/** A session the commit must delete (destroyed or logged out), with the user it was bound to. */
export interface DoomedSession {
  id: string;
  userId?: string;
}

/** What one request knows and changed about its session, shared by the handle, the service and the commit. */
export class SessionState {
  /** Id of the record this request loaded or wrote; `undefined` while the session exists only in memory. */
  storedId: string | undefined;
  /** The working copy; `undefined` until the session has any content. */
  record: SessionRecord | undefined;
  /** Sessions to delete at commit (destroy). */
  readonly doomed: DoomedSession[] = [];
  /** Why the session the cookie named has ended (evicted, revoked, expired), when known. */
  endedReason: string | undefined;
  /** Told once, when the session first has something to commit: an unchanged session costs the response nothing. */
  onChange: SessionChangeListener | undefined;
  /** The express-session compatible `req.session`, made once so that `req.session === req.session`. */
  view: object | undefined;

  /** The data when the handler first read an object out of it: compared at commit, so a change in place is saved too. */
  private readSnapshot: Buffer | undefined;
  private dirtyFlag = false;
  private regenerateFlag = false;
  private cookieIdValue: string | undefined;
  private clearCookieFlag = false;
  private proposedId: string | undefined;
  private endedFlag = false;

  constructor(
    storedId: string | undefined,
    record: SessionRecord | undefined,
    private readonly nowMs: () => number,
    /** The Node request (Express's own under Express): the cookie's `Secure: 'auto'` reads it. */
    readonly request?: IncomingMessage,
  ) {
    this.storedId = record ? storedId : undefined;
    this.record = record;
  }

  /** Data or binding changed since the last write. */
  get dirty(): boolean {
    return this.dirtyFlag;
  }
  set dirty(value: boolean) {
    this.dirtyFlag = value;
    if (value) this.changed();
  }

  /** Move the stored session to a new id at commit. */
  get regenerate(): boolean {
    return this.regenerateFlag;
  }
  set regenerate(value: boolean) {
    this.regenerateFlag = value;
    if (value) this.changed();
  }

  /** An id the response must carry in a new cookie (the id changed). */
  get cookieId(): string | undefined {
    return this.cookieIdValue;
  }
  set cookieId(value: string | undefined) {
    this.cookieIdValue = value;
    if (value !== undefined) this.changed();
  }

  /** The response must clear the cookie (destroyed and nothing new replaced it). */
  get clearCookie(): boolean {
    return this.clearCookieFlag;
  }
  set clearCookie(value: boolean) {
    this.clearCookieFlag = value;
    if (value) this.changed();
  }

  /** The stored id, or the id a session not stored yet will be created with (as express-session's `req.sessionID`). */
  currentId(): string {
    return this.storedId ?? (this.proposedId ??= mintSessionId());
  }

  /** The id a handler was told before the first write, if any; the commit creates the session under it. */
  takeProposedId(): string | undefined {
    const id = this.proposedId;
    this.proposedId = undefined;
    return id;
  }

  /** The response must carry the cookie again (its lifetime changed); the record is written too. */
  reissueCookie(): void {
    this.dirty = true;
    if (this.storedId !== undefined) this.cookieId = this.storedId;
  }

  /** The stored record, read again (`req.session.reload()`): changes not committed are dropped. */
  reloaded(record: SessionRecord): void {
    this.record = record;
    this.readSnapshot = undefined;
    this.dirtyFlag = false;
  }

  /** The working data, creating an empty session on first use. */
  writableData(): SessionData {
    if (!this.record) this.record = { data: {}, createdAt: this.nowMs() };
    return this.record.data;
  }

  /** The handler was handed a mutable value: snapshot the data and arm the commit to compare. */
  noteDataRead(): void {
    if (this.readSnapshot !== undefined || this.dirtyFlag || !this.record) return;
    this.readSnapshot = snapshotSessionData(this.record.data);
    this.changed();
  }

  /** Called as the commit starts: data changed in place since it was read counts as a change. */
  settle(): void {
    const snapshot = this.readSnapshot;
    if (snapshot === undefined) return;
    this.readSnapshot = undefined;
    if (!this.dirtyFlag && this.record && !sameSessionData(snapshot, this.record.data)) this.dirty = true;
  }

  /** A completed login: the request holds the stored session `id`; the response must carry its cookie. */
  bindLogin(id: string, record: SessionRecord): void {
    this.reset(id, record);
    this.proposedId = undefined;
    this.clearCookieFlag = false;
    this.cookieId = id;
  }

  /** True when the commit has anything to do. */
  get pending(): boolean {
    return this.dirtyFlag || this.regenerateFlag || this.doomed.length > 0 || this.cookieIdValue !== undefined || this.clearCookieFlag;
  }

  /** Forgets the session: its record is deleted at commit and the cookie cleared. */
  destroy(): void {
    if (this.storedId) this.doomed.push({ id: this.storedId, userId: this.record?.userId });
    this.forget();
    // Also what tells the listener: `doomed` has no setter.
    this.clearCookie = true;
  }

  /** The session was ended during this request (a logout, a destroy, a refused login). */
  get ended(): boolean {
    return this.endedFlag;
  }

  /** The session is gone from the store (deleted, evicted, revoked): nothing may write it back. */
  forget(): void {
    this.endedFlag = true;
    this.reset(undefined, undefined);
    this.cookieIdValue = undefined;
  }

  private reset(storedId: string | undefined, record: SessionRecord | undefined): void {
    this.storedId = storedId;
    this.record = record;
    this.readSnapshot = undefined;
    this.dirtyFlag = false;
    this.regenerateFlag = false;
  }

  private changed(): void {
    const listener = this.onChange;
    if (listener === undefined) return;
    this.onChange = undefined;
    listener.sessionChanged();
  }
}

/** What `SessionState.onChange` calls. */
export interface SessionChangeListener {
  /** The session has something to commit now (called once). */
  sessionChanged(): void;
}

/** Where a handle keeps its state: set by the constructor, so every handle has one shape (cheaper than a WeakMap). */
const STATE = Symbol('@axess/nestjs-session:state');

/** Ties a handle to its state (the handle's fields stay private to the library). */
export function bindSessionState(handle: object, state: SessionState): void {
  (handle as { [STATE]?: SessionState })[STATE] = state;
}

/** The state behind a handle. */
export function sessionStateOf(handle: object): SessionState {
  const state = (handle as { [STATE]?: SessionState } | null)?.[STATE];
  if (!state) throw new TypeError('Not an AxessSession created by the session middleware.');
  return state;
}
