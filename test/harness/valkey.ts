import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'iovalkey';

/** URL of the suite's private valkey-server (started by the global setup). */
export function testValkeyUrl(): string {
  const url = process.env.AXESS_TEST_VALKEY_URL;
  if (!url) throw new Error('AXESS_TEST_VALKEY_URL is not set: run the tests through jest (the global setup starts Valkey).');
  return url;
}

/** A client on the suite's valkey-server; the caller quits it. */
export function testClient(options: RedisOptions = {}): Redis {
  return new Redis(testValkeyUrl(), { lazyConnect: false, ...options });
}

/** A key prefix no other test uses, so suites can share one server in parallel workers. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}

/** 32 random bytes, a valid key for every key option. */
export function randomKey(): Buffer {
  return randomBytes(32);
}
