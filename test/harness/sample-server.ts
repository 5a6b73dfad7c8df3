import { randomBytes } from 'node:crypto';
import { createSampleApp, type SampleApp } from '../../sample/sample.app';
import type { SampleConfig } from '../../sample/sample.config';
import { testValkeyUrl, uniquePrefix } from './valkey';

/** The sample running on a free loopback port against the suite's Valkey. */
export interface RunningSample {
  sample: SampleApp;
  /** Its port on 127.0.0.1. */
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the sample with `createSampleApp` (as `npm run sample` does) on 127.0.0.1 with a free
 * port, on the suite's valkey-server under a key prefix of its own.
 */
export async function startSample(adapter: 'express' | 'fastify', maxSessions: number): Promise<RunningSample> {
  const config: SampleConfig = {
    port: 0,
    valkeyUrl: testValkeyUrl(),
    fastify: adapter === 'fastify',
    maxSessions,
    encryptionKey: randomBytes(32).toString('base64'),
    signingKey: randomBytes(32).toString('base64'),
    overrides: { prefix: uniquePrefix('sample-web') },
  };
  const sample = await createSampleApp(config);
  sample.app.useLogger(false);
  if (adapter === 'fastify') {
    await sample.app.init();
    await (sample.app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  }
  await sample.app.listen(0, '127.0.0.1');
  const address = sample.app.getHttpServer().address() as { port: number };
  return { sample, port: address.port, close: () => sample.close() };
}
