import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Redis } from 'iovalkey';
import { SessionBackend, type AxessConnectionOptions } from '../../src/internal';
import { registerSampleMetrics } from '../../sample/observability/sample-metrics';
import { AppModule } from '../../sample/app.module';
import { createSampleApp, type SampleApp } from '../../sample/sample.app';
import { useSampleWebSockets } from '../../sample/realtime/sample-websockets';
import { useSampleHttp } from '../../sample/sample-http';
import type { SampleConfig } from '../../sample/sample.config';
import { localCacheOf } from './local-cache';
import { uniquePrefix } from './valkey';
import type { AdapterName } from './http-app';
import { SAMPLE_FLOW_MAX_SESSIONS, sampleHttpFlow, type SampleUnderTest } from './sample-http.flow';

/** A sample config as `sampleConfigFromEnv` would build it, with a private key space. */
export function sampleConfig(adapter: AdapterName, valkeyUrl: string | undefined, overrides: Record<string, unknown> = {}): SampleConfig {
  return {
    port: 0,
    valkeyUrl,
    fastify: adapter === 'fastify',
    maxSessions: SAMPLE_FLOW_MAX_SESSIONS,
    encryptionKey: randomBytes(32).toString('base64'),
    signingKey: randomBytes(32).toString('base64'),
    overrides: { prefix: uniquePrefix('sample'), ...overrides },
  };
}

/** Boots the sample on a free loopback port, as `main.ts` does but without a fixed port. */
export async function listen(sample: SampleApp, adapter: AdapterName): Promise<string> {
  sample.app.useLogger(false);
  if (adapter === 'fastify') {
    await sample.app.init();
    await (sample.app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  }
  await sample.app.listen(0, '127.0.0.1');
  return (await sample.app.getUrl()).replace('[::1]', '127.0.0.1');
}

/**
 * The sample's in-memory fallback (taken when valkey-server is not installed), built from the
 * same `AppModule` that `createSampleApp` uses, since this machine has valkey-server.
 */
async function createMemorySampleApp(config: SampleConfig): Promise<SampleApp> {
  // As createSampleApp does: the metrics SDK before the app, whose module takes its meter at boot.
  registerSampleMetrics();
  const module = AppModule.register(config, 'memory');
  const app = config.fastify
    ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
    : await NestFactory.create(module, { logger: false });
  useSampleHttp(app);
  useSampleWebSockets(app);
  return { app, backend: 'memory', close: () => app.close() };
}

/**
 * The sample on `connection`: through `createSampleApp` (as `npm run sample` does) for a URL,
 * through the same `AppModule` for cluster seed nodes or sentinels, which `createSampleApp`
 * does not read from its environment.
 */
async function createSample(config: SampleConfig, connection: AxessConnectionOptions | undefined): Promise<SampleApp> {
  if (!connection) return createMemorySampleApp(config);
  if (!connection.clusterNodes && !connection.sentinels) return createSampleApp(config);
  registerSampleMetrics();
  const module = AppModule.register(config, connection);
  const app = config.fastify
    ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
    : await NestFactory.create(module, { logger: false });
  useSampleHttp(app);
  useSampleWebSockets(app);
  return { app, backend: 'valkey', close: () => app.close() };
}

/** The module's client is of the kind `connection` asks for: a Cluster for seed nodes, a sentinel-routed client for sentinels. */
function expectConnectedAsGiven(sample: SampleApp, connection: AxessConnectionOptions): void {
  const client = sample.app.get(SessionBackend).connection!.client;
  expect(client.isCluster).toBe(connection.clusterNodes !== undefined);
  if (connection.sentinels) expect((client as Redis).options).toMatchObject({ sentinels: connection.sentinels, name: connection.name });
}

/**
 * The flow on the sample in this process (Nest 11, CommonJS), one `describe` per `[adapter,
 * backend]` row of `matrix`; `connect` says how a `valkey` row reaches Valkey (a URL, cluster
 * seed nodes, or sentinels) and is called in `beforeAll`, so the caller may start its servers in
 * its own `beforeAll`. In process, it also checks the module's client is of the kind asked for.
 * With `localCache`, the sample runs with the local session cache on (as `AXESS_LOCAL_CACHE=1`
 * does) on its `valkey` rows, and the flow waits until the cache's tracking is confirmed.
 */
export function describeSampleE2e(
  title: string,
  matrix: Array<[AdapterName, 'valkey' | 'memory']>,
  connect: () => AxessConnectionOptions,
  options: { localCache?: boolean } = {},
): void {
  describe.each(matrix)(options.localCache ? `${title} (local cache)` : title, (adapter, backend) => {
    let sample: SampleApp;
    let target: SampleUnderTest;
    let connection: AxessConnectionOptions | undefined;

    beforeAll(async () => {
      connection = backend === 'valkey' ? connect() : undefined;
      if (connection && !connection.clusterNodes && !connection.sentinels) expect(connection.url).toBeDefined();
      const config = { ...sampleConfig(adapter, connection?.url), localCache: options.localCache };
      sample = await createSample(config, connection);
      target = { url: await listen(sample, adapter), signingKey: config.signingKey, backend };
      if (options.localCache && backend === 'valkey') await localCacheOf(sample.app);
    });

    afterAll(async () => {
      await sample?.close();
    });

    it('uses the backend it was given', () => {
      expect(sample.backend).toBe(backend);
      if (backend === 'valkey') expect(sample.valkeyUrl).toBe(connection?.url);
      if (connection) expectConnectedAsGiven(sample, connection);
    });

    sampleHttpFlow(() => target);
  });
}
