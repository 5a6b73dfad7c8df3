import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createSampleApp, type SampleApp } from '../../sample/sample.app';
import type { SampleConfig } from '../../sample/sample.config';
import type { Clock } from '../../src/internal';
import { whenLocalCacheReady } from './local-cache';
import { testValkeyUrl, uniquePrefix } from './valkey';

/** The sample running on a free loopback port against the suite's Valkey. */
export interface RunningSample {
  sample: SampleApp;
  /** What it was started with (its key prefix is `config.overrides.prefix`). */
  config: SampleConfig;
  /** Its key prefix in Valkey. */
  prefix: string;
  /** Its port on 127.0.0.1. */
  port: number;
  close(): Promise<void>;
}

/** What a test may choose of the sample's config: e.g. a second instance with the first one's keys and prefix. */
export type SampleOptions = Partial<
  Pick<SampleConfig, 'encryptionKey' | 'signingKey' | 'trustProxy' | 'localCache' | 'development' | 'adminUsers'>
> & {
  prefix?: string;
  /** The sessions' clock (e.g. a `ManualClock`, to age an authentication). */
  clock?: Clock;
};

/**
 * Starts the sample with `createSampleApp` (as `npm run sample` does) on 127.0.0.1 with a free
 * port, on the suite's valkey-server under a key prefix of its own (or `options.prefix`).
 */
export async function startSample(
  adapter: 'express' | 'fastify',
  maxSessions: number,
  options: SampleOptions = {},
): Promise<RunningSample> {
  const prefix = options.prefix ?? uniquePrefix('sample-web');
  const config: SampleConfig = {
    port: 0,
    valkeyUrl: testValkeyUrl(),
    fastify: adapter === 'fastify',
    maxSessions,
    encryptionKey: options.encryptionKey ?? randomBytes(32).toString('base64'),
    signingKey: options.signingKey ?? randomBytes(32).toString('base64'),
    trustProxy: options.trustProxy,
    localCache: options.localCache,
    development: options.development,
    adminUsers: options.adminUsers,
    overrides: { prefix, ...(options.clock ? { clock: options.clock } : {}) },
  };
  const sample = await createSampleApp(config);
  sample.app.useLogger(false);
  if (adapter === 'fastify') {
    await sample.app.init();
    await (sample.app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  }
  await sample.app.listen(0, '127.0.0.1');
  // With the local cache on, wait until its tracking is confirmed: until then it is bypassed.
  await whenLocalCacheReady(sample.app);
  const address = (sample.app.getHttpServer() as Server).address() as AddressInfo;
  return { sample, config, prefix, port: address.port, close: () => sample.close() };
}
