import type { IncomingMessage } from 'node:http';
import type { AxessSession } from '../http/axess-session.js';
import { findAxessSession } from '../http/session-request.js';
import { sessionStateOf, type SessionState } from '../http/session-state.js';
import { SessionCookieView } from './session-cookie.view.js';
import type { SessionViewServices } from './session-view.services.js';

/** Names the view answers itself, as express-session's `Session` does; data under them is out of reach here (use the handle). */
const RESERVED = new Set(['id', 'cookie', 'regenerate', 'save', 'destroy', 'reload', 'touch', 'resetMaxAge']);

/** What one view holds: the session and the request it belongs to. */
interface ViewTarget {
  handle: AxessSession;
  state: SessionState;
  request: IncomingMessage;
  services: SessionViewServices;
  cookie?: SessionCookieView;
}

const TARGET = Symbol('@axess/nestjs-session:view-target');

type Callback = (error?: unknown) => void;

/**
 * express-session's `Session` API over the request's axess session (for express-session code and
 * passport's session mode): properties are the session data, the methods behave as there, and
 * both views share one state and one commit.
 */
export function expressSessionView(request: IncomingMessage, services: SessionViewServices): object | undefined {
  const handle = findAxessSession(request);
  if (!handle) return undefined;
  const state = sessionStateOf(handle);
  if (state.view) return state.view;
  const target: ViewTarget = { handle, state, request, services };
  const view = new Proxy(target, VIEW_TRAPS);
  state.view = view;
  return view;
}

const METHODS: Record<string, (this: object, ...args: never[]) => unknown> = {
  /** express-session: a fresh session replaces this one. Here: the data is cleared and the id rotates at commit. */
  regenerate(this: object, callback?: Callback) {
    const { state } = targetOf(this);
    const record = state.record;
    if (record && state.storedId !== undefined) {
      record.data = {};
      delete record.cookieMaxAgeMs;
      state.regenerate = true;
    } else if (record) state.forget();
    return settle(Promise.resolve(), callback, this);
  },
  /** Commits a passport sign-in or sign-out now (admission under the cap); data is written as the response goes out. */
  save(this: object, callback?: Callback) {
    const target = targetOf(this);
    return settle(target.services.passport.reconcile(target.handle, target.request), callback, this);
  },
  /** Ends the session: its record is deleted and the cookie cleared at commit. */
  destroy(this: object, callback?: Callback) {
    targetOf(this).handle.destroy();
    return settle(Promise.resolve(), callback, this);
  },
  /** Reads the stored session again, dropping this request's uncommitted changes. */
  reload(this: object, callback?: Callback) {
    const { state, services } = targetOf(this);
    return settle(services.reload(state), callback, this);
  },
  /** The read that loaded the session already slid its idle expiry. */
  touch: returnThis,
  resetMaxAge: returnThis,
};

const VIEW_TRAPS: ProxyHandler<object> = {
  get(target, key) {
    if (typeof key === 'symbol') return key === TARGET ? target : undefined;
    const view = target as ViewTarget;
    if (RESERVED.has(key)) {
      if (key === 'id') return view.state.currentId();
      if (key === 'cookie') return (view.cookie ??= new SessionCookieView(view.state, view.services));
      return METHODS[key];
    }
    return view.handle.get(key);
  },
  set(target, key, value) {
    if (typeof key === 'symbol' || RESERVED.has(key)) return true;
    (target as ViewTarget).handle.set(key, value);
    return true;
  },
  deleteProperty(target, key) {
    if (typeof key === 'string' && !RESERVED.has(key)) (target as ViewTarget).handle.delete(key);
    return true;
  },
  has(target, key) {
    if (typeof key !== 'string') return false;
    return RESERVED.has(key) || Object.hasOwn((target as ViewTarget).state.record?.data ?? {}, key);
  },
  ownKeys(target) {
    return Object.keys((target as ViewTarget).state.record?.data ?? {});
  },
  getOwnPropertyDescriptor(target, key) {
    const data = (target as ViewTarget).state.record?.data;
    if (typeof key !== 'string' || !data || !Object.hasOwn(data, key)) return undefined;
    return { value: (target as ViewTarget).handle.get(key), writable: true, enumerable: true, configurable: true };
  },
  defineProperty(target, key, descriptor) {
    if (typeof key === 'string' && !RESERVED.has(key) && 'value' in descriptor) (target as ViewTarget).handle.set(key, descriptor.value);
    return true;
  },
};

function returnThis(this: object): object {
  return this;
}

function targetOf(view: object): ViewTarget {
  const target = (view as { [TARGET]?: ViewTarget })[TARGET];
  if (!target) throw new TypeError('Not a session view created by AxessSessionModule.');
  return target;
}

/** Calls back as express-session does (after the work, never synchronously), or logs what no callback will hear. */
function settle(work: Promise<unknown>, callback: Callback | undefined, view: object): object {
  work.then(
    () => callback && setImmediate(callback),
    (error: unknown) => {
      if (callback) setImmediate(callback, error);
      else targetOf(view).services.logUncaught(error);
    },
  );
  return view;
}
