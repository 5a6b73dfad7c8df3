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

  /** Takes the record of `id` and its time left in one `MULTI` (exactly one concurrent request gets it); `null` when gone. */
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

  /** Puts a claimed record back after a failed import, unless the old app wrote a newer one meanwhile (`NX`). */
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

/** The session in a legacy record (without its `cookie` object and any `__proto__` key), or `undefined` if not a JSON object. */
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
