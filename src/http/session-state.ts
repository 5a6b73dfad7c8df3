import type { IncomingMessage } from 'node:http';
import { sameSessionData, snapshotSessionData } from '../codec/data-snapshot.js';
import type { SessionData, SessionRecord } from '../codec/session-record.js';
import { mintSessionId } from '../crypto/session-id.js';

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
  /** Sessions to delete at commit (destroy). */
  readonly doomed: DoomedSession[] = [];
  /** Why the session the cookie named has ended (evicted, revoked, expired), when known. */
  endedReason: string | undefined;
  /**
   * Told once, the first time the session has something to commit: the response commit arms
   * itself then, so a request whose session never changes costs the response nothing.
   */
  onChange: SessionChangeListener | undefined;
  /**
   * Another view of this session made for the request once, and kept for the rest of it (the
   * express-session compatible `req.session`), so that `req.session === req.session`.
   */
  view: object | undefined;

  /**
   * The data as it was when the handler first read an object out of it: compared at commit, so
   * that a value changed in place (`session.get('cart').items.push(x)`) is saved too.
   * `undefined` while nothing was read, so requests that never touch data pay nothing.
   */
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

  /**
   * The id of this session: the stored one, or, for a session not stored yet, the id it will be
   * created with (minted now, kept for the request), as express-session's `req.sessionID` promises.
   */
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

  /**
   * The handler was handed a mutable value from the data: remember the data as it is now, and
   * arm the commit so it can compare when the response goes out.
   */
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

  /**
   * A completed login: the request now holds the session `id` with `record`, already stored;
   * the response must carry the new cookie.
   */
  bindLogin(id: string, record: SessionRecord): void {
    this.storedId = id;
    this.proposedId = undefined;
    this.record = record;
    this.readSnapshot = undefined;
    this.dirtyFlag = false;
    this.regenerateFlag = false;
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
    this.storedId = undefined;
    this.record = undefined;
    this.readSnapshot = undefined;
    this.dirtyFlag = false;
    this.regenerateFlag = false;
    this.cookieIdValue = undefined;
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

/**
 * Where a handle keeps its state: a symbol only this module knows, set by the constructor, so
 * every handle has the same shape (cheaper per request than a WeakMap entry).
 */
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
