import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { startValkeySentinelGroup, type ValkeyTestSentinelGroup } from '../../src/testing';
import { ValkeyEventRelay } from '../../src/valkey/valkey-event.relay';
import { AppModule } from '../../sample/app.module';
import { useSampleWebSockets } from '../../sample/realtime/sample-websockets';
import { useSampleHttp } from '../../sample/sample-http';
import type { AdapterName } from '../harness/http-app';
import { listen, sampleConfig } from '../harness/sample-e2e.flow';
import { GRAPHQL_FLOW_MAX_SESSIONS, sampleGraphqlFlow } from '../harness/sample-graphql.flow';
import { sampleWebSocketFlow, twoInstanceWebSocketFlow, type SocketSample } from '../harness/sample-websocket.flow';
import { waitFor } from '../harness/wait-for';

let group: ValkeyTestSentinelGroup;

beforeAll(async () => {
  group = await startValkeySentinelGroup();
}, 60_000);

afterAll(async () => {
  await group?.stop();
});

// GraphQL, the socket and the cross-instance closes behind Sentinel: each instance's relay
// subscribes on a duplicate of its sentinel-routed client (on the primary the sentinels report).
describe.each<AdapterName>(['express', 'fastify'])('the live sample on %s behind Sentinel', (adapter) => {
  let a: SocketSample;
  let b: SocketSample;

  async function start(config: ReturnType<typeof sampleConfig>): Promise<SocketSample> {
    const module = AppModule.register(config, { sentinels: group.sentinels.map(({ host, port }) => ({ host, port })), name: group.name });
    const app: INestApplication =
      adapter === 'fastify'
        ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
        : await NestFactory.create(module, { logger: false });
    useSampleHttp(app);
    useSampleWebSockets(app);
    return { app, url: await listen({ app, backend: 'valkey', close: () => app.close() }, adapter) };
  }

  beforeAll(async () => {
    const config = { ...sampleConfig(adapter, undefined), maxSessions: GRAPHQL_FLOW_MAX_SESSIONS };
    a = await start(config);
    b = await start(config);
    await waitFor(() => a.app!.get(ValkeyEventRelay).subscribed && b.app!.get(ValkeyEventRelay).subscribed, 'both subscriptions');
  }, 60_000);

  afterAll(async () => {
    await a?.app!.close();
    await b?.app!.close();
  });

  describe('POST /graphql', () => {
    sampleGraphqlFlow(() => a.url);
  });

  describe('GET /ws', () => {
    sampleWebSocketFlow(() => a);
  });

  describe('two instances', () => {
    twoInstanceWebSocketFlow(
      () => a,
      () => b,
      { lostMessage: false },
    );
  });
});
