import { Packr } from 'msgpackr';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { SessionRecord } from './session-record.js';

/** Version of the encoded record layout; the first element of the encoded array. */
export const RECORD_VERSION = 1;

/**
 * Encodes a record as a self-contained MessagePack array `[version, createdAt, userId,
 * authenticatedAt, ip, userAgent, data]`, then `cookieMaxAgeMs` (`false`: no choice),
 * `remembered` and `pendingAdmission`, each only when it or a later one is set: positional, so
 * no field names are stored and older records read as they always did.
 */
export class SessionRecordCodec {
  private readonly packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

  /** Encodes `record`; one `decode` would refuse is a `codec` error here, on save, not "no session" on the next read. */
  encode(record: SessionRecord): Buffer {
    if (
      typeof record !== 'object' ||
      record === null ||
      !isTime(record.createdAt) ||
      !optional(record.userId ?? null, isString) ||
      !optional(record.authenticatedAt ?? null, isTime) ||
      !optional(record.ip ?? null, isString) ||
      !optional(record.userAgent ?? null, isString) ||
      !optional(record.cookieMaxAgeMs ?? null, isTime) ||
      !(record.remembered === undefined || typeof record.remembered === 'boolean') ||
      !(record.pendingAdmission === undefined || isTime(record.pendingAdmission)) ||
      !encodesAsMap(record.data)
    ) {
      throw new SessionStoreError(
        'codec',
        'Session record has fields of the wrong type (createdAt/authenticatedAt: epoch ms integers, data: an object).',
      );
    }
    const fields: unknown[] = [
      RECORD_VERSION,
      record.createdAt,
      encodeUserId(record.userId),
      record.authenticatedAt ?? null,
      record.ip ?? null,
      record.userAgent ?? null,
      record.data,
    ];
    const maxAge = record.cookieMaxAgeMs === undefined ? false : record.cookieMaxAgeMs;
    if (record.pendingAdmission !== undefined) fields.push(maxAge, record.remembered === true, record.pendingAdmission);
    else if (record.remembered) fields.push(maxAge, true);
    else if (record.cookieMaxAgeMs !== undefined) fields.push(record.cookieMaxAgeMs);
    try {
      return this.packr.pack(fields);
    } catch (cause) {
      throw new SessionStoreError('codec', 'Session data could not be encoded as MessagePack.', { cause });
    }
  }

  /** Decodes bytes the caller has already size-checked; anything not a v1 record is a `codec` error. */
  decode(bytes: Buffer): SessionRecord {
    let value: unknown;
    try {
      value = this.packr.unpack(bytes);
    } catch (cause) {
      throw new SessionStoreError('codec', 'Stored session bytes are not valid MessagePack.', { cause });
    }
    if (!Array.isArray(value) || value.length < 7 || value.length > 10 || value[0] !== RECORD_VERSION) {
      throw new SessionStoreError('codec', `Stored session is not a version ${RECORD_VERSION} record.`);
    }
    const [, createdAt, userId, authenticatedAt, ip, userAgent, data, maxAge, remembered, pendingAdmission] = value as unknown[];
    // An eighth `false` ("no lifetime chosen") only stands before later elements.
    const cookieMaxAgeMs = maxAge === false && value.length >= 9 ? undefined : maxAge;
    if (
      !isTime(createdAt) ||
      !optional(userId, isUserId) ||
      !optional(authenticatedAt, isTime) ||
      !optional(ip, isString) ||
      !optional(userAgent, isString) ||
      !isPlainObject(data) ||
      !optional(cookieMaxAgeMs ?? null, isTime) ||
      !(remembered === undefined || remembered === true || (remembered === false && value.length === 10)) ||
      !(pendingAdmission === undefined || isTime(pendingAdmission))
    ) {
      throw new SessionStoreError('codec', 'Stored session record has fields of the wrong type.');
    }
    const record: SessionRecord = { data, createdAt };
    if (userId !== null) record.userId = decodeUserId(userId as string | Uint8Array);
    if (authenticatedAt !== null) record.authenticatedAt = authenticatedAt as number;
    if (ip !== null) record.ip = ip as string;
    if (userAgent !== null) record.userAgent = userAgent as string;
    if (cookieMaxAgeMs !== undefined) record.cookieMaxAgeMs = cookieMaxAgeMs as number | null;
    if (remembered === true) record.remembered = true;
    if (pendingAdmission !== undefined) record.pendingAdmission = pendingAdmission;
    return record;
  }
}

/**
 * A user id as stored: a string, or, for an id that is not well-formed UTF-16 (a lone surrogate,
 * which MessagePack's UTF-8 strings would turn into U+FFFD), its UTF-16 code units as binary, so
 * that every string id comes back exactly as it went in.
 */
function encodeUserId(userId: string | undefined): string | Buffer | null {
  if (userId === undefined) return null;
  return userId.isWellFormed() ? userId : Buffer.from(userId, 'utf16le');
}

function decodeUserId(stored: string | Uint8Array): string {
  return typeof stored === 'string' ? stored : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('utf16le');
}

/** A string, or the binary form written only for ids that are not well-formed (anything else is not this codec's). */
function isUserId(value: unknown): boolean {
  if (typeof value === 'string') return true;
  return value instanceof Uint8Array && value.byteLength % 2 === 0 && !decodeUserId(value).isWellFormed();
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** `null` (absent) or a value `check` accepts. */
function optional(value: unknown, check: (v: unknown) => boolean): boolean {
  return value === null || check(value);
}

/**
 * Only a plain map counts as decoded data: msgpackr also decodes extensions to Date, Set,
 * Error, RegExp and typed arrays, which are objects too but not session data.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** What msgpackr writes as a MessagePack map (and so reads back as a plain object). */
function encodesAsMap(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (isPlainObject(value) || value instanceof Map) return true;
  // Class instances encode as maps of their own properties; built-ins below do not.
  return !(
    Array.isArray(value) ||
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof Date ||
    value instanceof Set ||
    value instanceof RegExp ||
    value instanceof Error ||
    value instanceof Promise
  );
}
