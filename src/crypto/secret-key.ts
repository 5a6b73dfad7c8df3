import { createSecretKey, type KeyObject } from 'node:crypto';
import { AxessOptionsError } from '../errors/axess-options.error.js';

/**
 * A 32-byte key: a Buffer/Uint8Array, 64 hexadecimal characters (`openssl rand -hex 32`), or a
 * base64 / base64url string of 32 bytes (`openssl rand -base64 32`).
 */
export type SecretKeyInput = Buffer | Uint8Array | string;

const KEY_BYTES = 32;
const BASE64_OR_URL = /^[A-Za-z0-9+/_-]+={0,2}$/;
const HEX_KEY = /^[0-9A-Fa-f]{64}$/;
/** Fewer distinct byte values than this in 32 bytes is a pattern, not randomness (random: about 30). */
const MIN_DISTINCT_BYTES = 16;
/** What the messages say a key may look like. */
const ACCEPTED =
  `${KEY_BYTES} random bytes: a Buffer, 64 hex characters (\`openssl rand -hex 32\`) ` + 'or base64/base64url (`openssl rand -base64 32`)';

/**
 * Turns an option value into a 32-byte secret KeyObject, once, at boot.
 * Anything else is an `AxessOptionsError` naming `option`; the value is never echoed.
 */
export function importSecretKey(option: string, input: unknown): KeyObject {
  return createSecretKey(secretKeyBytes(option, input));
}

/** The checked 32 bytes of a key option, which {@link importSecretKey} wraps. */
function secretKeyBytes(option: string, input: unknown): Buffer {
  let bytes: Buffer;
  if (typeof input === 'string') {
    const trimmed = input.trim();
    // 64 hex characters are also valid base64 (of 48 bytes): hex is tried first. A base64 key of
    // 32 bytes is 43-44 characters, so the two never collide.
    if (HEX_KEY.test(trimmed)) bytes = Buffer.from(trimmed, 'hex');
    else if (BASE64_OR_URL.test(trimmed)) bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    else throw new AxessOptionsError(option, `must be ${ACCEPTED}; the string given is neither hex nor base64.`);
  } else if (isBytes(input)) {
    bytes = Buffer.from(input);
  } else if (input === undefined || input === null) {
    throw new AxessOptionsError(option, `is required: ${ACCEPTED}.`);
  } else {
    throw new AxessOptionsError(option, `must be ${ACCEPTED}, not a value of type ${typeof input}.`);
  }
  if (bytes.length !== KEY_BYTES) {
    throw new AxessOptionsError(option, `must be exactly ${KEY_BYTES} bytes, got ${bytes.length}: give ${ACCEPTED}.`);
  }
  assertRandomLooking(option, bytes);
  return bytes;
}

/** Refuses keys plainly not random: few distinct byte values, or all printable ASCII (random: about 1 in 10^13). */
function assertRandomLooking(option: string, bytes: Buffer): void {
  const distinct = new Set(bytes).size;
  if (distinct < MIN_DISTINCT_BYTES) {
    throw new AxessOptionsError(option, `is not random: its 32 bytes take only ${distinct} distinct values. Give ${ACCEPTED}.`);
  }
  if (bytes.every((byte) => byte >= 0x20 && byte <= 0x7e)) {
    throw new AxessOptionsError(option, `looks like a passphrase (all printable characters), not random bytes. Give ${ACCEPTED}.`);
  }
}

/** Realm-safe byte check: Buffers from `node:crypto` and a test VM's `Uint8Array` differ by realm. */
function isBytes(input: unknown): input is Uint8Array {
  return Buffer.isBuffer(input) || Object.prototype.toString.call(input) === '[object Uint8Array]';
}
