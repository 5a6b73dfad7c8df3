/**
 * The soak's history: every operation a client invoked, with when it started and ended (ms since
 * the run began), what came back, and what it observed. The checker reads nothing else.
 */

/** What a client asked for. */
export type OpKind =
  'sign-in' | 'me' | 'note-write' | 'note-read' | 'list' | 'revoke' | 'revoke-others' | 'logout' | 'logout-all' | 'reauthenticate' | 'ws';

/**
 * How it ended:
 * - `ok`: 2xx (a WebSocket: opened and told whose session it is);
 * - `refused`: 401 because the session is not (or no longer) signed in (or 409: a concurrent
 *   re-authentication of the same session rotated it first);
 * - `denied`: an answer the workload expects besides success (401 reauthentication-required,
 *   404 for a session already gone, 429 sign-in throttled);
 * - `unavailable`: the typed 503 of a backend failure;
 * - `down`: the app instance was being restarted (connection refused or reset meanwhile);
 * - `error`: anything else (a 500, a reset by a live instance, a malformed answer);
 * - `timeout`: no answer within the hang limit.
 */
export type Outcome = 'ok' | 'refused' | 'denied' | 'unavailable' | 'down' | 'error' | 'timeout';

/** What an answer said about whose session it served. */
export interface Observation {
  userId?: string;
  sessionId?: string;
  /** The note read back or written (`user/client/seq`). */
  note?: string;
}

/** One operation of the history. */
export interface Operation {
  /** Position in the history. */
  index: number;
  /** The simulated device that sent it. */
  client: string;
  /** The user that device signs in as. */
  user: string;
  /** The app instance it was sent to. */
  instance: string;
  op: OpKind;
  /** The session the request was sent with (none for a sign-in). */
  session?: string;
  /** Invocation and completion, ms since the run began. */
  start: number;
  end: number;
  status?: number;
  outcome: Outcome;
  observed?: Observation;
  /** Sign-in and reauthenticate: the session the answer handed out. */
  created?: string;
  /** Sessions that end once this operation succeeds (logout: its own; revoke: the target; reauthenticate: the old id). */
  ends?: string[];
  /** note-write: the note sent. */
  note?: string;
  /** Why it failed, for the report. */
  detail?: string;
}

/** One injected fault: when it began and when its injection was undone. */
export interface FaultRecord {
  kind: FaultKind;
  start: number;
  end: number;
  detail: string;
}

/** The faults the soak injects. */
export type FaultKind = 'primary-kill' | 'client-pause' | 'client-kill' | 'partition' | 'slot-migration' | 'app-restart';

/** Appends operations as they complete; numbered in completion order. */
export class HistoryRecorder {
  readonly operations: Operation[] = [];
  readonly faults: FaultRecord[] = [];
  private readonly origin = performance.now();

  /** Ms since the run began. */
  now(): number {
    return Math.round((performance.now() - this.origin) * 10) / 10;
  }

  record(operation: Omit<Operation, 'index'>): Operation {
    const entry = { ...operation, index: this.operations.length };
    this.operations.push(entry);
    return entry;
  }

  fault(fault: FaultRecord): void {
    this.faults.push(fault);
  }
}
