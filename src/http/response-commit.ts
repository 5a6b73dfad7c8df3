import { HttpException, Logger } from '@nestjs/common';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { CLEAR_SITE_COOKIES } from './response-cache-policy.js';
import type { SessionCommitter, TakenCookie } from './session-committer.js';
import type { SessionChangeListener, SessionState } from './session-state.js';

/** Where the per-response commit lives on the Node response. */
const COMMIT = Symbol('@axess/nestjs-session:response-commit');

type Args = unknown[];
type Method = (this: ServerResponse, ...args: Args) => unknown;
type WithCommit = ServerResponse & { [COMMIT]?: ResponseCommit };

/** Headers that describe a body: dropped when a failed commit replaces the body. */
const BODY_HEADERS = ['content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'etag', 'last-modified', 'content-range'];

const logger = new Logger('AxessSession');

/** What a response that sets or clears the session cookie may be cached as: not at all. */
export const NO_STORE = 'no-store';

/** Output the response produced while the commit runs, replayed once it settles. */
interface Held {
  head?: Args;
  writes: Args[];
  end?: Args;
  /** A write was told to wait: streams resume on the `drain` emitted after the replay. */
  blocked: boolean;
}

/**
 * The session commit of one response. Nothing is touched until the session first changes; then
 * the response's own `writeHead` / `write` / `end` are kept here and replaced by the shared
 * functions below (no closure per request).
 */
class ResponseCommit implements SessionChangeListener {
  held: Held | undefined;
  /**
   * Output goes straight through: while held output is replayed (Node's `end` calls `writeHead`
   * itself), and after a failed commit (the error response is final; nothing is retried).
   */
  passThrough = false;
  writeHead!: Method;
  write!: Method;
  end!: Method;

  constructor(
    readonly res: ServerResponse,
    readonly state: SessionState,
    readonly committer: SessionCommitter,
  ) {}

  sessionChanged(): void {
    const res = this.res as WithCommit;
    if (res[COMMIT]) return;
    res[COMMIT] = this;
    // The response's own methods, kept unbound: they are always called back on `res` (`.apply(res, …)`).
    /* eslint-disable @typescript-eslint/unbound-method */
    this.writeHead = res.writeHead as Method;
    this.write = res.write as Method;
    this.end = res.end as Method;
    /* eslint-enable @typescript-eslint/unbound-method */
    res.writeHead = heldWriteHead as ServerResponse['writeHead'];
    res.write = heldWrite as ServerResponse['write'];
    res.end = heldEnd as ServerResponse['end'];
  }
}

/**
 * Commits the request's session from the response itself, as it is about to go out: once the
 * session has changed, the first of `writeHead` (explicit, as Fastify sends, or implicit), `write`
 * or `end` holds the output, writes the store, then releases the output with the cookie
 * (`Set-Cookie` must precede the headers, and the write must land before the response ends so
 * the client's next request sees it). A session that never changes leaves the response alone:
 * requests pay for no interceptor, and the normal path stays one command.
 *
 * A commit that fails while the response is a success turns it into the error response (a
 * backend failure is a 503, as the exception filter would have answered); on an error response
 * the original error stands and the failure is logged. Output sent before the session changed
 * (a stream) cannot be recalled: the commit still completes before the response ends, and a
 * cookie it could not set is logged.
 */
export function commitOnResponse(res: ServerResponse, state: SessionState, committer: SessionCommitter): void {
  state.onChange = new ResponseCommit(res, state, committer);
}

function heldWriteHead(this: WithCommit, ...args: Args): unknown {
  const commit = this[COMMIT]!;
  if (commit.passThrough) return commit.writeHead.apply(this, args);
  if (commit.held) {
    commit.held.head = args;
    return this;
  }
  if (mustCommit(commit) && !hold(this, commit, args)) {
    commit.held!.head = args;
    return this;
  }
  return commit.writeHead.apply(this, args);
}

function heldWrite(this: WithCommit, ...args: Args): unknown {
  const commit = this[COMMIT]!;
  if (commit.passThrough || (!commit.held && (!mustCommit(commit) || hold(this, commit)))) return commit.write.apply(this, args);
  commit.held!.writes.push(args);
  commit.held!.blocked = true;
  return false;
}

function heldEnd(this: WithCommit, ...args: Args): unknown {
  const commit = this[COMMIT]!;
  if (commit.passThrough || (!commit.held && (!mustCommit(commit) || hold(this, commit)))) return commit.end.apply(this, args);
  commit.held!.end = args;
  return this;
}

/** True when the session has something to commit now, counting data changed in place since it was read. */
function mustCommit(commit: ResponseCommit): boolean {
  commit.state.settle();
  return commit.state.pending;
}

/**
 * Starts the commit of a changed session. Returns true when nothing needs holding (only a
 * cookie to set, done at once); otherwise the output is held until the store answered.
 */
function hold(res: WithCommit, commit: ResponseCommit, head?: Args): boolean {
  const { state, committer } = commit;
  if (!committer.needsStore(state)) {
    const cookie = committer.takeCookie(state);
    if (cookie !== undefined) addCookie(res, committer, cookie, head);
    return true;
  }
  const held: Held = { writes: [], blocked: false };
  commit.held = held;
  committer.flush(state).then(
    () => release(res, commit, held, undefined),
    (error: unknown) => release(res, commit, held, error ?? new Error('Session commit failed')),
  );
  return false;
}

/** Sends what was held: with the cookie after a commit, or as an error response after a failed one. */
function release(res: WithCommit, commit: ResponseCommit, held: Held, error: unknown): void {
  commit.held = undefined;
  commit.passThrough = true;
  try {
    if (error === undefined) {
      const cookie = commit.committer.takeCookie(commit.state);
      if (cookie !== undefined) addCookie(res, commit.committer, cookie, held.head);
    } else {
      commit.state.cookieId = undefined;
      commit.state.clearCookie = false;
      replaceWithError(res, held, error);
    }
    if (held.head) commit.writeHead.apply(res, held.head);
    for (const write of held.writes) commit.write.apply(res, write);
    if (held.end) commit.end.apply(res, held.end);
    else if (held.blocked) res.emit('drain');
    // A session changed again later (e.g. during a stream) is committed before the response ends.
    if (error === undefined) commit.passThrough = false;
  } catch (replayError) {
    // The client went away or the output was invalid: nothing is left to answer.
    logger.error(
      'Could not send the response after the session commit.',
      replayError instanceof Error ? replayError.stack : String(replayError),
    );
    if (!res.destroyed) res.destroy();
  }
}

/** Adds `taken` (its cookie, and `Clear-Site-Data` if it says so) to the headers about to go out. */
function addCookie(res: ServerResponse, committer: SessionCommitter, taken: TakenCookie, head: Args | undefined): void {
  if (res.headersSent) {
    // Only when output went out before the session changed.
    committer.warnCookieTooLate();
    return;
  }
  const given = head && headersOf(head);
  addNoStore(res, given);
  if (taken.clearSiteData) addHeader(res, given, 'clear-site-data', CLEAR_SITE_COOKIES);
  addSetCookie(res, given, taken.value);
}

/** Sets `name` among the headers given to `writeHead` (flat or object form), else on the response. */
function addHeader(res: ServerResponse, given: OutgoingHttpHeaders | unknown[] | undefined, name: string, value: string): void {
  if (Array.isArray(given)) given.push(name, value);
  else if (given) given[name] = value;
  else res.setHeader(name, value);
}

/** Adds the `Set-Cookie` value, keeping those the app set. */
function addSetCookie(res: ServerResponse, given: OutgoingHttpHeaders | unknown[] | undefined, cookie: string): void {
  if (Array.isArray(given)) {
    // The flat `[name, value, name, value]` form.
    given.push('set-cookie', cookie);
    return;
  }
  if (given) {
    const name = Object.keys(given).find((key) => key.toLowerCase() === 'set-cookie');
    if (name !== undefined) {
      const existing = given[name];
      given[name] = existing === undefined ? cookie : Array.isArray(existing) ? [...existing, cookie] : [String(existing), cookie];
      return;
    }
  }
  const existing = res.getHeader('set-cookie');
  res.setHeader(
    'set-cookie',
    existing === undefined ? cookie : Array.isArray(existing) ? [...existing, cookie] : [String(existing), cookie],
  );
}

/**
 * `Cache-Control: no-store` on a response that sets or clears the session cookie, unless the app
 * set a Cache-Control of its own (its choice stands): a shared cache must never hand one user's
 * Set-Cookie to another.
 */
function addNoStore(res: ServerResponse, given: OutgoingHttpHeaders | unknown[] | undefined): void {
  if (res.hasHeader('cache-control')) return;
  if (Array.isArray(given)) {
    for (let i = 0; i < given.length; i += 2) if (String(given[i]).toLowerCase() === 'cache-control') return;
    given.push('cache-control', NO_STORE);
  } else if (given) {
    if (!Object.keys(given).some((key) => key.toLowerCase() === 'cache-control')) given['cache-control'] = NO_STORE;
  } else {
    res.setHeader('cache-control', NO_STORE);
  }
}

/** The headers argument of a `writeHead(status, [message], [headers])` call. */
function headersOf(head: Args): OutgoingHttpHeaders | unknown[] | undefined {
  const candidate = typeof head[1] === 'string' ? head[2] : head[1];
  return candidate && typeof candidate === 'object' ? (candidate as OutgoingHttpHeaders | unknown[]) : undefined;
}

/**
 * A failed commit: a success response becomes the error response (the body the default
 * exception filter sends); an error response stays as it is and the failure is logged.
 */
function replaceWithError(res: ServerResponse, held: Held, error: unknown): void {
  const status = held.head ? Number(held.head[0]) : res.statusCode;
  if (res.headersSent || status >= 400) {
    logger.error('Could not commit the session.', error instanceof Error ? error.stack : String(error));
    return;
  }
  let code = 500;
  let body: unknown = { statusCode: 500, message: 'Internal server error' };
  if (error instanceof HttpException) {
    code = error.getStatus();
    const response = error.getResponse();
    body = typeof response === 'string' ? { statusCode: code, message: response } : response;
  } else {
    logger.error('Could not commit the session.', error instanceof Error ? error.stack : String(error));
  }
  const text = JSON.stringify(body);
  for (const name of BODY_HEADERS) res.removeHeader(name);
  const headers: OutgoingHttpHeaders = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  };
  const given = held.head && headersOf(held.head);
  if (given && !Array.isArray(given)) {
    for (const [name, value] of Object.entries(given)) {
      if (!BODY_HEADERS.includes(name.toLowerCase())) headers[name] = value;
    }
  }
  if (held.head) held.head = [code, headers];
  else {
    res.statusCode = code;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value!);
  }
  held.writes = [];
  held.end = [text];
}
