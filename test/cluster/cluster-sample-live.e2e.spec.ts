import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Cluster } from 'iovalkey';
import { AxessSessionEvents, type AxessSessionEvent } from '../../src/internal';
import { startValkeyCluster, type ValkeyTestCluster } from '../../src/testing';
import { ValkeyChannelSubscriber } from '../../src/valkey/valkey-channel.subscriber';
import { ValkeyEventRelay } from '../../src/valkey/valkey-event.relay';
import { AppModule } from '../../sample/app.module';
import { useSampleWebSockets } from '../../sample/realtime/sample-websockets';
import { useSampleHttp } from '../../sample/sample-http';
import type { SampleConfig } from '../../sample/sample.config';
import type { AdapterName } from '../harness/http-app';
import { sendHttpRequest } from '../harness/http-request';
import { listen, sampleConfig } from '../harness/sample-e2e.flow';
import { GRAPHQL_FLOW_MAX_SESSIONS, sampleGraphqlFlow } from '../harness/sample-graphql.flow';
import { sampleWebSocketFlow, signIn, twoInstanceWebSocketFlow, type SocketSample } from '../harness/sample-websocket.flow';
import { sampleHandleOf } from '../harness/sample-handle';
import { clientIdsNamed, waitFor } from '../harness/wait-for';
import { openSessionSocket } from '../harness/ws-client';

let cluster: ValkeyTestCluster;

beforeAll(async () => {
  cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** One sample instance on the cluster (seed nodes), as `createSampleApp` builds it for a URL. */
async function startOnCluster(adapter: AdapterName, config: SampleConfig): Promise<{ app: INestApplication; url: string }> {
  const module = AppModule.register(config, { clusterNodes: [...cluster.nodes] });
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(module, { logger: false });
  useSampleHttp(app);
  useSampleWebSockets(app);
  return { app, url: await listen({ app, backend: 'valkey', close: () => app.close() }, adapter) };
}

const idOf = (cookie: string) => cookie.split('=')[1].split('.')[0];

/** A Cluster client that knows the cluster's nodes (connected and slots loaded). */
async function connectedCluster(): Promise<Cluster> {
  const admin = new Cluster([...cluster.nodes]);
  await new Promise<void>((resolve, reject) => {
    admin.once('ready', () => resolve());
    admin.once('error', reject);
  });
  return admin;
}

// GraphQL, the socket and the cross-instance closes on a 3-primary Cluster: the relay uses sharded
// pub/sub (SSUBSCRIBE on the primary owning the channel's slot, SPUBLISH routed there).
describe.each<AdapterName>(['express', 'fastify'])('the live sample on %s on a Valkey Cluster', (adapter) => {
  let a: SocketSample;
  let b: SocketSample;

  beforeAll(async () => {
    // Two instances of one deployment: the same keys and prefix.
    const config = { ...sampleConfig(adapter, undefined), maxSessions: GRAPHQL_FLOW_MAX_SESSIONS };
    a = await startOnCluster(adapter, config);
    b = await startOnCluster(adapter, config);
  }, 60_000);

  afterAll(async () => {
    await a?.app!.close();
    await b?.app!.close();
  });

  it('the relay subscribed with SSUBSCRIBE on the primary that owns its channel', async () => {
    await waitFor(() => a.app!.get(ValkeyEventRelay).subscribed && b.app!.get(ValkeyEventRelay).subscribed, 'both subscriptions');
    const relay = a.app!.get(ValkeyEventRelay);
    const admin = await connectedCluster();
    try {
      const counts = await Promise.all(
        admin.nodes('master').map(async (node) => (await node.call('PUBSUB', 'SHARDNUMSUB', relay.channel)) as [string, number]),
      );
      // Both instances' subscribers, on one primary only.
      expect(counts.map(([, n]) => Number(n)).sort()).toEqual([0, 0, 2]);
    } finally {
      await admin.quit();
    }
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

    it("a revocation published while A's shard subscriber was down still closes A's socket once it subscribed again", async () => {
      const cookie = await signIn(a.url);
      const { socket } = await openSessionSocket(a.url, cookie);
      const relay = a.app!.get(ValkeyEventRelay);
      const heardByA: AxessSessionEvent[] = [];
      a.app!.get(AxessSessionEvents).onAny((event) => void heardByA.push(event));

      // A's subscriber may not subscribe again until the revocation has been published.
      const subscriber = (relay as unknown as { subscriber: ValkeyChannelSubscriber }).subscriber as unknown as {
        subscribeOnCluster(cluster: Cluster): Promise<void>;
      };
      const original = subscriber.subscribeOnCluster.bind(subscriber);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      subscriber.subscribeOnCluster = async (c: Cluster) => {
        await held;
        return original(c);
      };
      const admin = await connectedCluster();
      try {
        for (const node of admin.nodes('master')) {
          for (const id of await clientIdsNamed(node, relay.connectionName)) await node.call('CLIENT', 'KILL', 'ID', id);
        }
        await waitFor(() => !relay.subscribed, "A's subscription gone");
        const other = await signIn(b.url);
        const handle = await sampleHandleOf(b.url, cookie);
        expect((await sendHttpRequest(b.url, 'DELETE', `/auth/sessions/${handle}`, { cookie: other, body: {} })).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(heardByA.filter((e) => e.sessionId === idOf(cookie))).toEqual([]);
        release();
        const closed = await socket.closed;
        expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4001, reason: 'revoked' });
        expect(heardByA.filter((e) => e.sessionId === idOf(cookie))).toEqual([]);
      } finally {
        release();
        subscriber.subscribeOnCluster = original;
        await admin.quit();
      }
    });
  });
});
