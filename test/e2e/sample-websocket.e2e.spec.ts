import { randomBytes } from 'node:crypto';
import { startSample, type RunningSample } from '../harness/sample-server';
import { sampleWebSocketFlow, twoInstanceWebSocketFlow, type SocketSample } from '../harness/sample-websocket.flow';
import { uniquePrefix } from '../harness/valkey';

const asSocketSample = (running: RunningSample): SocketSample => ({ url: `http://127.0.0.1:${running.port}`, app: running.sample.app });

// GET /ws of the sample on the suite's single valkey-server; test/cluster/cluster-sample-live.e2e.spec.ts runs it on a Cluster.
describe.each(['express', 'fastify'] as const)('sample WebSocket on %s', (adapter) => {
  let running: RunningSample;

  beforeAll(async () => {
    running = await startSample(adapter, 3);
  });
  afterAll(async () => {
    await running?.close();
  });

  sampleWebSocketFlow(() => asSocketSample(running));
});

describe.each(['express', 'fastify'] as const)('two sample instances on %s sharing one Valkey', (adapter) => {
  const shared = {
    prefix: uniquePrefix('sample-ws'),
    encryptionKey: randomBytes(32).toString('base64'),
    signingKey: randomBytes(32).toString('base64'),
  };
  let a: RunningSample;
  let b: RunningSample;

  beforeAll(async () => {
    a = await startSample(adapter, 3, shared);
    b = await startSample(adapter, 3, shared);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  twoInstanceWebSocketFlow(
    () => asSocketSample(a),
    () => asSocketSample(b),
  );
});
