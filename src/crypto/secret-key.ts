import { createSecretKey, type KeyObject } from 'node:crypto';
import { AxessOptionsError } from '../errors/axess-options.error.js';

/** A 32-byte key as a Buffer/Uint8Array, or as a base64 / base64url string of 32 bytes. */
export type SecretKeyInput = Buffer | Uint8Array | string;

const KEY_BYTES = 32;
const BASE64_OR_URL = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Turns an option value into a 32-byte secret KeyObject, once, at boot.
 * Anything else is an `AxessOptionsError` naming `option`; the value is never echoed.
 */
export function importSecretKey(option: string, input: unknown): KeyObject {
  return createSecretKey(secretKeyBytes(option, input));
}

/** Like {@link importSecretKey} but returns the raw bytes (for HKDF input). */
export function secretKeyBytes(option: string, input: unknown): Buffer {
  let bytes: Buffer;
  if (typeof input === 'string') {
    const trimmed = input.trim();
    if (!BASE64_OR_URL.test(trimmed)) {
      throw new AxessOptionsError(option, `must be ${KEY_BYTES} bytes, base64 or base64url encoded (e.g. \`openssl rand -base64 32\`).`);
    }
    bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  } else if (isBytes(input)) {
    bytes = Buffer.from(input);
  } else if (input === undefined || input === null) {
    throw new AxessOptionsError(option, `is required: ${KEY_BYTES} random bytes as a Buffer or a base64 string (e.g. \`openssl rand -base64 32\`).`);
  } else {
    throw new AxessOptionsError(option, `must be ${KEY_BYTES} random bytes as a Buffer or a base64 string, not a value of type ${typeof input}.`);
  }
  if (bytes.length !== KEY_BYTES) {
    throw new AxessOptionsError(option, `must be exactly ${KEY_BYTES} bytes, got ${bytes.length}.`);
  }
  return bytes;
}

/** Realm-safe byte check: Buffers from `node:crypto` and a test VM's `Uint8Array` differ by realm. */
function isBytes(input: unknown): input is Uint8Array {
  return Buffer.isBuffer(input) || Object.prototype.toString.call(input) === '[object Uint8Array]';
}
