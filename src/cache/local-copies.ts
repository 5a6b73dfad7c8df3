import { SessionRecordCodec } from '../codec/session-record.codec.js';
import type { SessionRecord } from '../codec/session-record.js';
import type { CacheCoherence } from './cache-coherence.js';
import { copySessionRecord } from './record-copy.js';
import { SessionLru } from './session-lru.js';

/** One command in flight whose answer may be cached: it may, unless the record was invalidated meanwhile. */
export interface Ticket {
  readonly id: string;
  /** The invalidation sequence number when the command was sent. */
  readonly seq: number;
  /** The coherence epoch when the command was sent. */
  readonly epoch: number;
  /** Monotonic ms when the command was sent. */
  readonly sentAt: number;
}

/** Per session id with commands in flight: how many, and the sequence number of its last invalidation. */
interface InFlight {
  count: number;
  invalidatedSeq: number;
}

/**
 * The local cache's copies, and which answers of the commands in flight may replace them. A read
 * or write sent before an invalidation of its session (or before coherence was lost) may answer
 * with what was there before the change: that answer is served to its caller, never kept. Only
 * ids with commands in flight are remembered, so an invalidation of any other session costs
 * nothing. What is kept is what a read of the bytes would decode, never an object a caller holds.
 */
export class LocalCopies {
  /** The copies, least recently used first out. */
  readonly held: SessionLru;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly codec = new SessionRecordCodec();
  /** Incremented by each invalidation of a session with commands in flight. */
  private seq = 0;

  constructor(
    bounds: { maxEntries: number; maxBytes: number },
    private readonly coherence: CacheCoherence,
    private readonly now: () => number,
  ) {
    this.held = new SessionLru(bounds.maxEntries, bounds.maxBytes);
  }

  /** A command on `id` is about to be sent; pass the ticket to `mayKeep` and `end`. */
  begin(id: string): Ticket {
    let flight = this.inFlight.get(id);
    if (flight === undefined) {
      flight = { count: 0, invalidatedSeq: 0 };
      this.inFlight.set(id, flight);
    }
    flight.count++;
    return { id, seq: this.seq, epoch: this.coherence.epoch, sentAt: this.now() };
  }

  /** Whether the answer to `ticket`'s command may be kept: still coherent, same epoch, no invalidation of its id since it was sent. */
  mayKeep(ticket: Ticket): boolean {
    const flight = this.inFlight.get(ticket.id);
    return (
      this.coherence.coherent && this.coherence.epoch === ticket.epoch && (flight === undefined || flight.invalidatedSeq <= ticket.seq)
    );
  }

  /** The command of `ticket` answered (or failed). */
  end(ticket: Ticket): void {
    const flight = this.inFlight.get(ticket.id);
    if (flight !== undefined && --flight.count === 0) this.inFlight.delete(ticket.id);
  }

  /** `id` changed (here or elsewhere): its copy is dropped and its commands in flight are void. True when a copy was held. */
  drop(id: string): boolean {
    const held = this.held.delete(id);
    const flight = this.inFlight.get(id);
    if (flight !== undefined) flight.invalidatedSeq = ++this.seq;
    return held;
  }

  /** After a read: keeps a copy of `record` until `expiresAt`, if nothing voided the read. */
  keepRead(ticket: Ticket, record: SessionRecord, expiresAt: number): void {
    if (!this.mayKeep(ticket)) return;
    const plain = this.encode(record);
    if (plain !== undefined) this.held.set(ticket.id, { record: copySessionRecord(record), bytes: plain.length, expiresAt });
  }

  /** After a confirmed write of `plain` with a time to live of `ttlMs`: keeps what a read of those bytes would decode, if nothing voided it. */
  keepWritten(ticket: Ticket, plain: Buffer, ttlMs: number): void {
    if (!this.mayKeep(ticket)) return;
    let record: SessionRecord;
    try {
      record = this.codec.decode(plain);
    } catch {
      return;
    }
    this.held.set(ticket.id, { record, bytes: plain.length, expiresAt: ticket.sentAt + ttlMs });
  }

  /** The bytes `record` encodes to now, or `undefined` when it cannot be encoded (the store refuses it too and says why). */
  encode(record: SessionRecord): Buffer | undefined {
    try {
      return this.codec.encode(record);
    } catch {
      return undefined;
    }
  }
}
