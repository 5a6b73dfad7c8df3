import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { createSampleApp, type SampleApp } from '../../sample/sample.app';
import { cookiePair, send, type AdapterName } from '../harness/http-app';
import { describeSampleE2e, listen, sampleConfig } from '../harness/sample-e2e.flow';

const MATRIX: Array<[AdapterName, 'valkey' | 'memory']> = [
  ['express', 'valkey'],
  ['fastify', 'valkey'],
  ['express', 'memory'],
  ['fastify', 'memory'],
];

// The suite's single valkey-server; test/cluster runs the same flow on a Cluster and on Sentinel.
describeSampleE2e('sample app on %s with the %s backend', MATRIX, () => ({ url: process.env.AXESS_TEST_VALKEY_URL }));
// And with the local session cache on (AXESS_LOCAL_CACHE=1), on Valkey.
describeSampleE2e(
  'sample app on %s with the %s backend',
  MATRIX.filter(([, backend]) => backend === 'valkey'),
  () => ({ url: process.env.AXESS_TEST_VALKEY_URL }),
  { localCache: true },
);

describe.each<AdapterName>(['express', 'fastify'])('sample app on %s: /health when its Valkey stops', (adapter) => {
  let server: ValkeyTestServer | undefined;
  let sample: SampleApp | undefined;
  let url: string;

  beforeAll(async () => {
    server = await startValkeyServer();
    sample = await createSampleApp(sampleConfig(adapter, server.url, { commandTimeoutMs: 500 }));
    url = await listen(sample, adapter);
  });

  afterAll(async () => {
    await server?.stop();
    await sample?.close();
  });

  it('200 while it answers, 503 once it is gone, and /me degrades to an error status, never a hang', async () => {
    const alice = await send(url, 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-password' } });
    expect(alice.status).toBe(200);
    expect((await send(url, 'GET', '/health')).body).toMatchObject({
      status: 'ok',
      info: { 'session-store': { status: 'up', backend: 'valkey' } },
    });

    await server!.stop();
    server = undefined;

    const health = await send(url, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(JSON.stringify(health.body)).not.toContain('alice');
    const seen = await send(url, 'GET', '/me', { cookie: cookiePair(alice) });
    expect([401, 503]).toContain(seen.status);
  });
});
