import { HttpException, Logger } from '@nestjs/common';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { headersArgument, writeHeadSink, writeSessionCookie } from './response-cookies.js';
import type { SessionCommitter } from './session-committer.js';
import type { SessionChangeListener, SessionState } from './session-state.js';

/** Where the per-response commit lives on the Node response. */
const COMMIT = Symbol('@axess/nestjs-session:response-commit');

type Args = unknown[];
type Method = (this: ServerResponse, ...args: Args) => unknown;
type WithCommit = ServerResponse & { [COMMIT]?: ResponseCommit };

/** Headers that describe a body: dropped when a failed commit replaces the body. */
const BODY_HEADERS = ['content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'etag', 'last-modified', 'content-range'];

const logger = new Logger('AxessSession');

/** Output the response produced while the commit runs, replayed once it settles. */
interface Held {
  head?: Args;
  writes: Args[];
  end?: Args;
  /** A write was told to wait: streams resume on the `drain` emitted after the replay. */
  blocked: boolean;
}

/** The session commit of one response: once the session changes, the response's output methods are swapped for the shared `held*` functions below. */
class ResponseCommit implements SessionChangeListener {
  /** The output waiting for the store, while a commit is in flight. */
  private held: Held | undefined;
  /** While held output is replayed (Node's `end` calls `writeHead`), and after a failed commit (final). */
  private passThrough = false;
  writeHead!: Method;
  write!: Method;
  end!: Method;

  constructor(
    private readonly res: ServerResponse,
    private readonly state: SessionState,
    private readonly committer: SessionCommitter,
  ) {}

  sessionChanged(): void {
    const res = this.res as WithCommit;
    if (res[COMMIT]) return;
    res[COMMIT] = this;
    /* eslint-disable @typescript-eslint/unbound-method */
    this.writeHead = res.writeHead as Method;
    this.write = res.write as Method;
    this.end = res.end as Method;
    /* eslint-enable @typescript-eslint/unbound-method */
    res.writeHead = heldWriteHead as ServerResponse['writeHead'];
    res.write = heldWrite as ServerResponse['write'];
    res.end = heldEnd as ServerResponse['end'];
  }

  /**
   * Where output must wait, or `undefined` when it goes out now: a commit that needs the store
   * starts here and holds the output; one that only sets a cookie (into `head`, the `writeHead`
   * arguments) lets it through.
   */
  holdFor(head?: Args): Held | undefined {
    if (this.passThrough) return undefined;
    if (this.held) return this.held;
    this.state.settle(); // data changed in place since it was read counts as a change
    if (!this.state.pending) return undefined;
    if (!this.committer.needsStore(this.state)) {
      this.sendCookie(head);
      return undefined;
    }
    const held: Held = { writes: [], blocked: false };
    this.held = held;
    this.committer.flush(this.state).then(
      () => this.release(held, undefined),
      (error: unknown) => this.release(held, error ?? new Error('Session commit failed')),
    );
    return held;
  }

  /** Sends what was held: with the cookie after a commit, or as an error response after a failed one. */
  private release(held: Held, error: unknown): void {
    const res = this.res;
    this.held = undefined;
    this.passThrough = true;
    try {
      if (error === undefined) this.sendCookie(held.head);
      else {
        this.state.cookieId = undefined;
        this.state.clearCookie = false;
        replaceWithError(res, held, error);
      }
      if (held.head) this.writeHead.apply(res, held.head);
      for (const write of held.writes) this.write.apply(res, write);
      if (held.end) this.end.apply(res, held.end);
      else if (held.blocked) res.emit('drain');
      // A session changed again later (e.g. during a stream) is committed before the response ends.
      if (error === undefined) this.passThrough = false;
    } catch (replayError) {
      // The client went away or the output was invalid: nothing is left to answer.
      logger.error(
        'Could not send the response after the session commit.',
        replayError instanceof Error ? replayError.stack : String(replayError),
      );
      if (!res.destroyed) res.destroy();
    }
  }

  /** Adds the cookie change, if any, to the headers about to go out (`head`: a `writeHead` call's arguments). */
  private sendCookie(head: Args | undefined): void {
    const cookie = this.committer.takeCookie(this.state);
    if (cookie === undefined) return;
    // Only when output went out before the session changed.
    if (this.res.headersSent) return this.committer.warnCookieTooLate();
    writeSessionCookie(writeHeadSink(this.res, head), cookie);
  }
}

/**
 * Commits the session from the response itself: once the session changed, its first `writeHead`,
 * `write` or `end` holds the output, writes the store, then releases it with the cookie, so the
 * write lands before the client's next request. An unchanged session leaves the response alone.
 * A failed commit turns a success into the error response (503 for a backend failure); an error
 * response stands and the failure is logged. Output sent before the change cannot be recalled.
 */
export function commitOnResponse(res: ServerResponse, state: SessionState, committer: SessionCommitter): void {
  state.onChange = new ResponseCommit(res, state, committer);
}

/** The commit of a response whose methods it replaced (they are installed on no other). */
function commitOf(res: WithCommit): ResponseCommit {
  const commit = res[COMMIT];
  if (!commit) throw new Error('A session commit method ran on a response without a commit.');
  return commit;
}

function heldWriteHead(this: WithCommit, ...args: Args): unknown {
  const commit = commitOf(this);
  const held = commit.holdFor(args);
  if (!held) return commit.writeHead.apply(this, args);
  held.head = args;
  return this;
}

function heldWrite(this: WithCommit, ...args: Args): unknown {
  const commit = commitOf(this);
  const held = commit.holdFor();
  if (!held) return commit.write.apply(this, args);
  held.writes.push(args);
  held.blocked = true;
  return false;
}

function heldEnd(this: WithCommit, ...args: Args): unknown {
  const commit = commitOf(this);
  const held = commit.holdFor();
  if (!held) return commit.end.apply(this, args);
  held.end = args;
  return this;
}

/** A failed commit: a success becomes the error response the default exception filter sends; an error response stands. */
function replaceWithError(res: ServerResponse, held: Held, error: unknown): void {
  const status = held.head ? Number(held.head[0]) : res.statusCode;
  const replace = !res.headersSent && status < 400;
  if (!replace || !(error instanceof HttpException)) {
    logger.error('Could not commit the session.', error instanceof Error ? error.stack : String(error));
  }
  if (!replace) return;
  let code = 500;
  let body: unknown = { statusCode: 500, message: 'Internal server error' };
  if (error instanceof HttpException) {
    code = error.getStatus();
    const response = error.getResponse();
    body = typeof response === 'string' ? { statusCode: code, message: response } : response;
  }
  const text = JSON.stringify(body);
  for (const name of BODY_HEADERS) res.removeHeader(name);
  const headers: OutgoingHttpHeaders = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  };
  const given = held.head && headersArgument(held.head);
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
