// Cross-instance close latency of a WebSocket whose session ends: two instances of the sample
// (the same keys and prefix) on one Valkey, a socket open on A, the session revoked through B's
// JSON API; the time from sending the revocation to B until the client sees the socket close
// (code 4001, "revoked"). Single node, then a 3-primary Cluster (sharded pub/sub).
//
//   npm run build && npx tsc -p tsconfig.bench.json && node bench/ws-close-latency.mjs [rounds]
//
// Both instances and the clients run in this one process (one event loop, 2 cores shared with
// valkey-server), so the figures include their queueing; the subscription itself is one hop.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { WebSocket } = require('ws');
const { Logger } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { startValkeyServer, startValkeyCluster } = require(join(root, 'dist/cjs/testing/index.js'));
const { AppModule } = require(join(root, 'dist/bench/sample/app.module.js'));
const { useSampleWebSockets } = require(join(root, 'dist/bench/sample/realtime/sample-websockets.js'));

const ROUNDS = Number(process.argv[2] ?? 200);
Logger.overrideLogger(['error']);

async function startInstance(config, connection) {
  const app = await NestFactory.create(AppModule.register(config, connection), { logger: ['error'] });
  useSampleWebSockets(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${app.getHttpServer().address().port}` };
}

async function signIn(url) {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}`);
  return res.headers
    .getSetCookie()
    .find((c) => c.startsWith('axess.sid='))
    .split(';')[0];
}

function openSocket(url, cookie) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, { headers: { cookie }, origin: url });
  const closed = new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('message', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function measure(label, connection) {
  const config = {
    port: 0,
    fastify: false,
    // The cap is never reached: every round's sessions end before the next round signs in.
    maxSessions: 1000,
    encryptionKey: randomBytes(32).toString('base64'),
    signingKey: randomBytes(32).toString('base64'),
    overrides: { prefix: `bench-ws-${randomBytes(4).toString('hex')}` },
  };
  const a = await startInstance(config, connection);
  const b = await startInstance(config, connection);
  try {
    const admin = await signIn(b.url);
    // Let both subscriptions settle.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const latencies = [];
    for (let i = 0; i < ROUNDS; i++) {
      const cookie = await signIn(a.url);
      const { closed } = await openSocket(a.url, cookie);
      const id = cookie.split('=')[1].split('.')[0];
      const sent = performance.now();
      const res = await fetch(`${b.url}/auth/sessions/${id}`, {
        method: 'DELETE',
        headers: { cookie: admin, 'content-type': 'application/json' },
      });
      if (res.status !== 200) throw new Error(`revoke answered ${res.status}`);
      const close = await closed;
      if (close.code !== 4001 || close.reason !== 'revoked') throw new Error(`closed with ${close.code} ${close.reason}`);
      latencies.push(close.at - sent);
    }
    latencies.sort((x, y) => x - y);
    const ms = (v) => `${v.toFixed(2)} ms`;
    console.log(
      `${label}: ${ROUNDS} closes, revocation sent to B -> socket on A closed: p50 ${ms(percentile(latencies, 50))}, ` +
        `p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies[latencies.length - 1])}`,
    );
  } finally {
    await a.app.close();
    await b.app.close();
  }
}

const server = await startValkeyServer();
try {
  await measure('single node', { url: server.url });
} finally {
  await server.stop();
}
const cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 });
try {
  await measure('3-primary Cluster', { clusterNodes: [...cluster.nodes] });
} finally {
  await cluster.stop();
}
process.exit(0);
