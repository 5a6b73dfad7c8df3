import type { Operation } from './history';

/** The guarantees the checker reads the history for. */
export type Guarantee = 'cap' | 'revocation' | 'acknowledged' | 'isolation' | 'errors';

/** One violation: what was broken and the operations that show it. */
export interface Violation {
  guarantee: Guarantee;
  message: string;
  operations: Operation[];
}

/** What the checker needs besides the history. */
export interface CheckOptions {
  /** The per-user cap the apps run with. */
  cap: number;
  /** Instances that run with the local session cache. */
  cachedInstances?: readonly string[];
  /**
   * The local cache's documented staleness bound (a copy is served up to 2.5 s after the last
   * confirmation of its invalidation channel): a revoked session accepted by a cached instance
   * within this long after its end was acknowledged (or an older note read back there within
   * this long after the newer one was acknowledged) is reported apart, as a stale cache read, not
   * as a violation. 0 counts every one as a violation. @default 0
   */
  cacheStalenessMs?: number;
}

/** Violation counts per guarantee, and the violations themselves. */
export interface CheckResult {
  counts: Record<Guarantee, number>;
  violations: Violation[];
  /** Revoked sessions accepted, or older notes read, by a cached instance within `cacheStalenessMs` (not counted as violations). */
  staleCacheReads: Violation[];
}

/** Longer than any operation can last (the workload gives up on a request after 10 s). */
const LONGEST_OPERATION_MS = 60_000;

/** Outcomes after which the operation may have taken effect on the server. */
const MAYBE_APPLIED = new Set(['ok', 'unavailable', 'timeout', 'error', 'down']);

/**
 * How long after its failed answer an operation may still take effect: its commands may sit in
 * a partitioned link or a paused server and be applied once it heals (an indeterminate
 * operation, in Jepsen's terms). Longer than any fault the soak injects.
 */
const INDETERMINATE_EFFECT_MS = 10_000;

/** Until when `op` may take effect: its answer if it succeeded, later if its outcome is indeterminate. */
const effectEnd = (op: Operation): number => (op.outcome === 'ok' ? op.end : op.end + INDETERMINATE_EFFECT_MS);

/** Index of the history by session: who created each, and the operations sent with it. */
class SessionIndex {
  readonly creator = new Map<string, Operation>();
  readonly uses = new Map<string, Operation[]>();
  /** A session handed out by reauthenticate continues the one it was sent with (same data). */
  readonly parent = new Map<string, string>();
  readonly byUser = new Map<string, Operation[]>();

  constructor(readonly operations: readonly Operation[]) {
    for (const op of operations) {
      const mine = this.byUser.get(op.user) ?? [];
      mine.push(op);
      this.byUser.set(op.user, mine);
      if (op.outcome === 'ok' && op.created) {
        this.creator.set(op.created, op);
        if (op.op === 'reauthenticate' && op.session) this.parent.set(op.created, op.session);
      }
      if (op.session) {
        const uses = this.uses.get(op.session) ?? [];
        uses.push(op);
        this.uses.set(op.session, uses);
      }
    }
    for (const uses of this.uses.values()) uses.sort((a, b) => a.start - b.start);
    for (const ops of this.byUser.values()) ops.sort((a, b) => a.start - b.start);
  }

  /**
   * The user's operations that overlap [from, to): started before `to`, and not ended before
   * `from`, or may take effect after it (found from the start order: no operation lasts longer than `LONGEST_OPERATION_MS`).
   */
  *overlapping(user: string, from: number, to: number): Generator<Operation> {
    const ops = this.byUser.get(user) ?? [];
    let lo = 0;
    let hi = ops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ops[mid].start < from - LONGEST_OPERATION_MS) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < ops.length && ops[i].start < to; i++) if (effectEnd(ops[i]) > from) yield ops[i];
  }

  /** Sessions of `user` created (acknowledged) before `before`. */
  createdBefore(user: string, before: number): string[] {
    const ids: string[] = [];
    for (const [id, op] of this.creator) if (op.user === user && op.end < before) ids.push(id);
    return ids;
  }

  /** `id` and the sessions it continues. */
  chain(id: string): Set<string> {
    const ids = new Set<string>();
    for (let at: string | undefined = id; at !== undefined && !ids.has(at); at = this.parent.get(at)) ids.add(at);
    return ids;
  }
}

/**
 * Reads a history and reports, per guarantee, the violations with the operations involved. Pure:
 * the same history gives the same answer.
 * - cap: at no moment has a user more than `cap` sessions that were each acknowledged (sign-in
 *   answered) and later used successfully (a session is live from its acknowledgement to the
 *   start of its last successful use, since an ended session stays ended);
 * - revocation: no request on a session succeeds when it started after the session's end was
 *   acknowledged (its logout, revocation, revoke-others, logout-all or rotation answered 2xx, or
 *   a request on it refused with 401);
 * - acknowledged: no acknowledged sign-in is refused (401) without a cause that may have ended it
 *   (a logout, revocation or rotation of it, a revocation by its user whose target is unknown,
 *   a revoke-others or logout-all of its user, or `cap`
 *   newer sign-ins or re-authentications of its user that may have evicted it); no acknowledged note write is lost
 *   (a later read of the same session returns an older note or none);
 * - isolation: no answer names another user, another session, or a note another device wrote;
 * - errors: every failure is a typed 503 (or the instance was down); never a 500, another status,
 *   a reset by a live instance, or a hang.
 */
export function checkHistory(operations: readonly Operation[], options: CheckOptions): CheckResult {
  const index = new SessionIndex(operations);
  const cached = new Set(options.cachedInstances ?? []);
  const revocation = checkRevocation(index, cached, options.cacheStalenessMs ?? 0);
  const notes = checkLostNotes(index, cached, options.cacheStalenessMs ?? 0);
  const violations = [
    ...checkIsolation(operations),
    ...checkErrors(operations),
    ...revocation.violations,
    ...checkLostSignIns(index, options.cap),
    ...notes.violations,
    ...checkCap(index, options.cap, cached, options.cacheStalenessMs ?? 0),
  ];
  const counts: Record<Guarantee, number> = { cap: 0, revocation: 0, acknowledged: 0, isolation: 0, errors: 0 };
  for (const v of violations) counts[v.guarantee]++;
  return { counts, violations, staleCacheReads: [...revocation.stale, ...notes.stale] };
}

function checkIsolation(operations: readonly Operation[]): Violation[] {
  const found: Violation[] = [];
  for (const op of operations) {
    if (op.outcome !== 'ok' || !op.observed) continue;
    const { userId, sessionId, note } = op.observed;
    if (userId !== undefined && userId !== op.user) {
      found.push({ guarantee: 'isolation', message: `${op.user}'s request was answered as ${userId}`, operations: [op] });
    } else if (sessionId !== undefined && op.session !== undefined && op.op !== 'reauthenticate' && sessionId !== op.session) {
      found.push({
        guarantee: 'isolation',
        message: `a request on session ${op.session} was served session ${sessionId}`,
        operations: [op],
      });
    } else if (note !== undefined && !note.startsWith(`${op.user}/${op.client}/`)) {
      found.push({ guarantee: 'isolation', message: `${op.client} (${op.user}) read a note it never wrote: ${note}`, operations: [op] });
    }
  }
  return found;
}

function checkErrors(operations: readonly Operation[]): Violation[] {
  return operations
    .filter((op) => op.outcome === 'error' || op.outcome === 'timeout')
    .map((op) => ({
      guarantee: 'errors' as const,
      message:
        op.outcome === 'timeout'
          ? `${op.op} hung for ${Math.round(op.end - op.start)} ms`
          : `${op.op} failed untyped: ${op.status ?? ''} ${op.detail ?? ''}`.trim(),
      operations: [op],
    }));
}

/** When each session's end was first acknowledged, and by which operation. */
function endsAcknowledged(index: SessionIndex): Map<string, Operation> {
  const ended = new Map<string, Operation>();
  const mark = (id: string, by: Operation) => {
    const seen = ended.get(id);
    if (!seen || by.end < seen.end) ended.set(id, by);
  };
  for (const op of index.operations) {
    if (op.outcome === 'refused' && op.session) mark(op.session, op);
    if (op.outcome !== 'ok') continue;
    for (const id of op.ends ?? []) mark(id, op);
    if (op.op === 'revoke-others' || op.op === 'logout-all') {
      for (const id of index.createdBefore(op.user, op.start)) if (op.op === 'logout-all' || id !== op.session) mark(id, op);
    }
  }
  return ended;
}

function checkRevocation(index: SessionIndex, cached: Set<string>, staleMs: number): { violations: Violation[]; stale: Violation[] } {
  const ended = endsAcknowledged(index);
  const found: Violation[] = [];
  const stale: Violation[] = [];
  for (const [id, by] of ended) {
    for (const use of index.uses.get(id) ?? []) {
      if (use.outcome === 'ok' && use.start > by.end) {
        const within = cached.has(use.instance) && use.start - by.end <= staleMs;
        (within ? stale : found).push({
          guarantee: 'revocation',
          message: `session ${id} was accepted by ${use.op} on ${use.instance} ${Math.round(use.start - by.end)} ms after ${by.op} (#${by.index}) acknowledged its end`,
          operations: [by, use],
        });
      }
    }
  }
  return { violations: found, stale };
}

/** Whether something that may have happened before `refusal` ended `id` legitimately. */
function endExplained(index: SessionIndex, id: string, creator: Operation, refusal: Operation, cap: number): boolean {
  let newerSignIns = 0;
  // Only what overlaps the session's life can have ended it.
  for (const op of index.overlapping(creator.user, creator.start, refusal.end)) {
    if (op === refusal || !MAYBE_APPLIED.has(op.outcome)) continue;
    if (op.ends?.includes(id)) return true;
    // A revocation of the device's previous id, sent before its re-authentication answered: the
    // workload names the target by the device's agent and knew only the old id, but the list it
    // read may already have shown the new one.
    if (
      op.op === 'revoke' &&
      creator.op === 'reauthenticate' &&
      op.start < creator.end &&
      creator.ends?.some((old) => op.ends?.includes(old))
    )
      return true;
    // A revocation whose target the workload could not name may have been this one.
    if (op.op === 'revoke' && op.ends === undefined && op.session !== id) return true;
    if (op.op === 'logout-all' && creator.start < op.end) return true;
    if (op.op === 'revoke-others' && op.session !== id && creator.start < op.end) return true;
    // A re-authentication may move its session behind the others in eviction order, like a sign-in.
    if ((op.op === 'sign-in' || op.op === 'reauthenticate') && op !== creator && effectEnd(op) > creator.start) newerSignIns++;
  }
  return newerSignIns >= cap;
}

function checkLostSignIns(index: SessionIndex, cap: number): Violation[] {
  const found: Violation[] = [];
  for (const [id, creator] of index.creator) {
    const refusal = (index.uses.get(id) ?? []).find((use) => use.outcome === 'refused' && use.start > creator.end);
    if (!refusal || endExplained(index, id, creator, refusal, cap)) continue;
    found.push({
      guarantee: 'acknowledged',
      message: `session ${id} of ${creator.user}, acknowledged by #${creator.index}, was refused by #${refusal.index} with nothing that could have ended it`,
      operations: [creator, refusal],
    });
  }
  return found;
}

const seqOf = (note: string | undefined) => (note === undefined ? -1 : Number(note.split('/').pop()));

function checkLostNotes(index: SessionIndex, cached: Set<string>, staleMs: number): { violations: Violation[]; stale: Violation[] } {
  const found: Violation[] = [];
  const stale: Violation[] = [];
  for (const read of index.operations) {
    if (read.op !== 'note-read' || read.outcome !== 'ok' || !read.session) continue;
    const chain = index.chain(read.session);
    let acknowledged: Operation | undefined;
    for (const id of chain) {
      for (const write of index.uses.get(id) ?? []) {
        if (
          write.op === 'note-write' &&
          write.outcome === 'ok' &&
          write.end < read.start &&
          seqOf(write.note) > seqOf(acknowledged?.note)
        ) {
          acknowledged = write;
        }
      }
    }
    if (acknowledged && seqOf(read.observed?.note) < seqOf(acknowledged.note)) {
      const within = cached.has(read.instance) && read.start - acknowledged.end <= staleMs;
      (within ? stale : found).push({
        guarantee: 'acknowledged',
        message: `note ${acknowledged.note} was acknowledged, then read back as ${read.observed?.note ?? 'nothing'}`,
        operations: [acknowledged, read],
      });
    }
  }
  return { violations: found, stale };
}

/**
 * A session counts as live from its sign-in's answer until its last successful use. A use on an
 * instance with the local cache may be served from a copy up to the stated staleness after the
 * session ended, so it proves the session alive only until that much earlier.
 */
function checkCap(index: SessionIndex, cap: number, cached: Set<string>, staleMs: number): Violation[] {
  const found: Violation[] = [];
  const byUser = new Map<string, Array<{ id: string; from: number; to: number }>>();
  for (const [id, creator] of index.creator) {
    let aliveUntil = -Infinity;
    for (const use of index.uses.get(id) ?? []) {
      if (use.outcome === 'ok') aliveUntil = Math.max(aliveUntil, cached.has(use.instance) ? use.start - staleMs : use.start);
    }
    if (aliveUntil <= creator.end) continue;
    const spans = byUser.get(creator.user) ?? [];
    spans.push({ id, from: creator.end, to: aliveUntil });
    byUser.set(creator.user, spans);
  }
  for (const [user, spans] of byUser) {
    // Ends before starts at the same instant: touching spans do not overlap.
    const points = spans.flatMap((s) => [
      { at: s.from, delta: 1, span: s },
      { at: s.to, delta: -1, span: s },
    ]);
    points.sort((a, b) => a.at - b.at || a.delta - b.delta);
    const live = new Set<(typeof spans)[number]>();
    let reported = false;
    for (const point of points) {
      if (point.delta < 0) {
        live.delete(point.span);
        reported = false;
        continue;
      }
      live.add(point.span);
      if (live.size > cap && !reported) {
        reported = true;
        const ids = [...live].map((s) => s.id);
        found.push({
          guarantee: 'cap',
          message: `${user} had ${live.size} live sessions at ${point.at} ms (cap ${cap}): ${ids.join(', ')}`,
          operations: ids.map((id) => index.creator.get(id)!),
        });
      }
    }
  }
  return found;
}
