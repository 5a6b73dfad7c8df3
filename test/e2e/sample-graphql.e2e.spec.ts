import { GRAPHQL_FLOW_MAX_SESSIONS, sampleGraphqlFlow, sampleGraphqlThrottleFlow } from '../harness/sample-graphql.flow';
import { startSample, type RunningSample } from '../harness/sample-server';

// The sample's GraphQL endpoint on the suite's single valkey-server: Apollo on Express,
// Mercurius on Fastify. test/cluster/cluster-sample-live.e2e.spec.ts runs the same flow on a Cluster.
describe.each(['express', 'fastify'] as const)('sample GraphQL on %s', (adapter) => {
  let running: RunningSample;
  const url = () => `http://127.0.0.1:${running.port}`;

  beforeAll(async () => {
    running = await startSample(adapter, GRAPHQL_FLOW_MAX_SESSIONS);
  });
  afterAll(async () => {
    await running?.close();
  });

  sampleGraphqlFlow(url);
});

describe.each(['express', 'fastify'] as const)('sample GraphQL sign-in limits on %s', (adapter) => {
  let running: RunningSample;

  beforeAll(async () => {
    running = await startSample(adapter, GRAPHQL_FLOW_MAX_SESSIONS);
  });
  afterAll(async () => {
    await running?.close();
  });

  sampleGraphqlThrottleFlow(() => `http://127.0.0.1:${running.port}`);
});
