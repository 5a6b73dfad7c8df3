import type { AxessSessionData, SessionData } from '../codec/session-record.js';
import { bindSessionState, SessionState, sessionStateOf } from './session-state.js';

/** The type of the value under `K`: what `AxessSessionData` declares for it, else `unknown`. */
export type AxessSessionValue<K extends string> = K extends keyof AxessSessionData ? AxessSessionData[K] : unknown;

/** The session data as handlers read it: the declared keys typed, any other key `unknown`. */
export type AxessSessionDataView = Readonly<Partial<AxessSessionData> & SessionData>;

/**
 * The request's session, as handlers see it (`@CurrentSession() session: AxessSession`).
 * Changes are kept in memory and written once, when the response goes out, only if something
 * changed, including a value read with `get` and changed in place.
 *
 * @example
 * @Post('cart')
 * add(@CurrentSession() session: AxessSession, @Body('item') item: string) {
 *   const cart = session.get('cart') ?? { items: [] };
 *   cart.items.push(item);
 *   session.set('cart', cart);
 * }
 */
export class AxessSession {
  /** Built by the session middleware; apps get it through `@CurrentSession()` or `getAxessSession(req)`. @internal */
  constructor(state: SessionState) {
    bindSessionState(this, state);
  }

  private get state(): SessionState {
    return sessionStateOf(this);
  }

  /** The session id, or `undefined` until the session exists in the store (first write). */
  get id(): string | undefined {
    return this.state.storedId;
  }

  /** The user this session is bound to, once a login completed. */
  get userId(): string | undefined {
    return this.state.record?.userId;
  }

  /** True when the session is bound to a user. */
  get isAuthenticated(): boolean {
    return this.userId !== undefined;
  }

  /** Why the session the cookie named has ended (e.g. `evicted:newer-sign-in`, `revoked`), when the server still knows. */
  get endedReason(): string | undefined {
    return this.state.endedReason;
  }

  /** When this session started (its absolute lifetime counts from here); `undefined` for an empty session. */
  get createdAt(): Date | undefined {
    const record = this.state.record;
    return record ? new Date(record.createdAt) : undefined;
  }

  /** When the login that bound the user completed. */
  get authenticatedAt(): Date | undefined {
    const at = this.state.record?.authenticatedAt;
    return at === undefined ? undefined : new Date(at);
  }

  /** A frozen shallow copy of the data (change keys with `set`, `delete`, `clear`); objects inside are the session's own. */
  get data(): AxessSessionDataView {
    const state = this.state;
    state.noteDataRead();
    return Object.freeze({ ...(state.record?.data ?? {}) });
  }

  /** True when this request changed the session (it will be written after the handler). */
  get changed(): boolean {
    return this.state.pending;
  }

  /** The value under `key`, typed by `AxessSessionData`; an object comes back as the session's own (changes in place are saved). */
  get<K extends string>(key: K): AxessSessionValue<K> | undefined {
    const state = this.state;
    const data = state.record?.data;
    if (!data || !Object.hasOwn(data, key)) return undefined;
    const value = data[key];
    // Only a mutable value can change behind the session's back; a string or number cannot.
    if (typeof value === 'object' && value !== null) state.noteDataRead();
    return value as AxessSessionValue<K>;
  }

  /** Stores `value` under `key` (MessagePack-encodable values); `undefined` deletes the key. */
  set<K extends string>(key: K, value: AxessSessionValue<K> | undefined): void {
    if (typeof key !== 'string') throw new TypeError('Session keys are strings.');
    // The MessagePack decoder renames this key (a prototype-pollution guard): it would not survive a save.
    if (key === '__proto__') throw new TypeError('"__proto__" cannot be a session key.');
    if (value === undefined) {
      this.delete(key);
      return;
    }
    this.state.writableData()[key] = value;
    this.state.dirty = true;
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: string): boolean {
    const data = this.state.record?.data;
    if (!data || !Object.hasOwn(data, key)) return false;
    delete data[key];
    this.state.dirty = true;
    return true;
  }

  /** Removes all data; the session itself (id, user binding) stays. */
  clear(): void {
    const record = this.state.record;
    if (!record || Object.keys(record.data).length === 0) return;
    record.data = {};
    this.state.dirty = true;
  }

  /** Moves the session to a new id at commit; the old id stops working (a session not stored yet gets a fresh id anyway). */
  regenerate(): void {
    if (this.state.storedId === undefined) return;
    this.state.regenerate = true;
  }

  /** Ends the session (logout): its record is deleted at commit and the cookie cleared. */
  destroy(): void {
    this.state.destroy();
  }
}
