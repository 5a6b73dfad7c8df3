import { SessionStoreError } from '../errors/session-store.error.js';
import type { LegacyCookieScope } from './legacy-cookie.js';
import type { LegacySessionClient, LegacySessionData } from './legacy-session.options.js';

/** A legacy record taken out of the old store: its text as stored and the time it had left. */
export interface ClaimedLegacyRecord {
  text: string;
  /** Milliseconds it had left; `undefined` when it had no expiry. */
  ttlMs: number | undefined;
}

/** A legacy record's content: the session data, and the scope of the cookie that named it. */
export interface ParsedLegacyRecord {
  data: LegacySessionData;
  cookie: LegacyCookieScope | undefined;
}

/**
 * The records of the old store, in connect-redis's layout: key prefix + id, value the JSON of
 * the session (its `cookie` object included). Every command touches one key (Cluster-safe).
 */
export class LegacySessionRecords {
  constructor(
    private readonly client: LegacySessionClient,
    private readonly prefix: string,
  ) {}

  /**
   * Takes the record of `id` out of the old store, atomically: `PTTL` and `GETDEL` in one
   * `MULTI`, so of any number of concurrent requests carrying the same cookie exactly one gets
   * it, and the time it had left comes with it (to put it back as it was). `null` when there is
   * none (expired, never existed, already imported). Backend failures are `SessionStoreError`s.
   */
  async claim(id: string): Promise<ClaimedLegacyRecord | null> {
    const key = this.prefix + id;
    let replies: Array<[Error | null, unknown]> | null;
    try {
      const transaction = this.client.multi();
      transaction.pttl(key);
      transaction.getdel(key);
      replies = await transaction.exec();
    } catch (error) {
      throw SessionStoreError.fromClient('legacy session claim', error);
    }
    if (!replies || replies.length !== 2)
      throw new SessionStoreError('command', 'Valkey legacy session claim failed: the transaction was aborted.');
    const [[ttlError, ttl], [readError, value]] = replies;
    if (ttlError || readError) throw SessionStoreError.fromClient('legacy session claim', ttlError ?? readError);
    if (value === null || value === undefined) return null;
    // GETDEL answers a string (or a Buffer from a client asked for buffers); anything else is not a record.
    const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
    if (text === undefined) return null;
    const ms = Number(ttl);
    return { text, ttlMs: ms > 0 ? ms : undefined };
  }

  /**
   * Puts a claimed record back after an import that failed, unless the key exists again (`NX`:
   * the old app, still running during a rollout, may have written a newer one).
   */
  async restore(id: string, claimed: ClaimedLegacyRecord): Promise<void> {
    const key = this.prefix + id;
    try {
      if (claimed.ttlMs === undefined) await this.client.set(key, claimed.text, 'NX');
      else await this.client.set(key, claimed.text, 'PX', claimed.ttlMs, 'NX');
    } catch (error) {
      throw SessionStoreError.fromClient('legacy session restore', error);
    }
  }
}

/**
 * The session in a legacy record, or `undefined` when the text is not the JSON of an object.
 * The library's own `cookie` object is left out of the data (axess has its own cookie), and so
 * is a `__proto__` key (`JSON.parse` makes it an own property; it cannot be a session key).
 */
export function parseLegacyRecord(text: string): ParsedLegacyRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const data: LegacySessionData = {};
  let cookie: LegacyCookieScope | undefined;
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'cookie') cookie = typeof value === 'object' && value !== null ? (value as LegacyCookieScope) : undefined;
    else if (key !== '__proto__' && value !== undefined) data[key] = value;
  }
  return { data, cookie };
}
