// `npm run bench:capacity`: what one session costs on a Valkey Cluster and how many session
// operations one shard serves. Starts a private 3-primary / 3-replica cluster on loopback
// (`startValkeyCluster` from the built testing entry), drives it through the product's
// ValkeySessionStore and ValkeySessionRegistry on the Cluster client the module creates
// (`ValkeyConnection.create({ clusterNodes })`), prints Markdown tables and stops every node.
// Options: --seconds N (per measurement, default 5), --concurrency N (default 64),
// --sessions N (sessions written for the memory measurement and read by the load test, default 30000).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'iovalkey';
import {
  GONE_MARKER_TTL_MS,
  mintSessionId,
  SessionEndReason,
  ValkeyConnection,
  ValkeySessionRegistry,
  ValkeySessionStore,
} from '../dist/esm/internal.js';
import { startValkeyCluster } from '@axess/nestjs-session/testing';
import { measure } from './lib/measure.mjs';
import { sessionRecord, TTL_MS } from './lib/session.fixture.mjs';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '64' },
    sessions: { type: 'string', default: '30000' },
  },
});
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const SESSIONS = Number(args.sessions);
/** Sessions a benchmark user may hold: every login past the third evicts the oldest. */
const CAP = 3;
const PREFIX = 'axess';
const log = (line) => console.error(`[capacity] ${line}`);
/** What `AxessSessionService.authenticate` asks of an admission: evicted sessions get a marker saying why. */
const EVICTION_MARKER = { reason: SessionEndReason.evicted, ttlMs: GONE_MARKER_TTL_MS };

/** Bytes Valkey spends on the data set: used memory less replication backlog and client buffers, which do not grow per session. */
function datasetBytes(info) {
  const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_memory') - field('mem_replication_backlog') - field('mem_clients_slaves') - field('mem_clients_normal');
}

/** CPU seconds a node has used, and the commands it has processed, in all and by name (INFO itself excluded). */
async function nodeCounters(admin) {
  const info = await admin.info('cpu', 'commandstats');
  const cpu = Number(/used_cpu_sys:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)[1]);
  let commands = 0;
  const calls = {};
  for (const [, name, n] of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) {
    if (name === 'info') continue;
    commands += Number(n);
    calls[name] = Number(n);
  }
  return { cpu, commands, calls };
}

const interrupted = new Promise((resolve) => {
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => resolve(signal));
});

const cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1 });
const admins = new Map();
let connection;
const stopAll = async () => {
  await connection?.onModuleDestroy();
  await Promise.allSettled([...admins.values()].map((a) => a.quit()));
  await cluster.stop();
};
interrupted.then(async (signal) => {
  log(`${signal}: stopping the cluster`);
  await stopAll();
  process.exit(130);
});

try {
  const shards = await cluster.shards();
  for (const shard of shards) admins.set(shard.primary, new Redis({ host: '127.0.0.1', port: shard.primary, enableAutoPipelining: false }));
  const adminFor = async (key) => admins.get(await cluster.primaryOf(key));
  const memoryUsage = async (key) => Number(await (await adminFor(key)).call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  const valkeyVersion = /valkey_version:(\S+)/.exec(await [...admins.values()][0].info('server'))?.[1];
  log(`cluster up: primaries ${shards.map((s) => s.primary).join(', ')}, each with one replica; Valkey ${valkeyVersion}`);

  // The client the module builds from `connection: { clusterNodes }` (auto-pipelining on).
  connection = ValkeyConnection.create({ clusterNodes: [...cluster.nodes] }, 2000);
  const client = connection.client;
  await client.ping();
  const store = new ValkeySessionStore(client, randomBytes(32), { prefix: PREFIX });
  const registry = new ValkeySessionRegistry(client, { store, prefix: PREFIX });
  const record = sessionRecord();

  // --- Bytes: one session record, a registry with 1 and 3 members, an eviction marker.
  const userId = record.userId;
  const ids = Array.from({ length: CAP + 1 }, () => mintSessionId());
  const admit = (id) => {
    const written = store.save(id, record, TTL_MS);
    written.catch(() => undefined);
    return registry.admit(userId, id, CAP, { recordWritten: written, evictionMarker: EVICTION_MARKER });
  };
  await admit(ids[0]);
  const registryOne = await memoryUsage(store.keys.registry(userId));
  for (const id of ids.slice(1, CAP)) await admit(id);
  const bytes = {
    sealed: Number(await (await adminFor(store.keys.session(ids[0]))).strlen(store.keys.session(ids[0]))),
    session: await memoryUsage(store.keys.session(ids[0])),
    registryOne,
    registryThree: await memoryUsage(store.keys.registry(userId)),
  };
  const evicted = await admit(ids[CAP]);
  const markerKey = store.keys.gone(evicted[0]);
  bytes.marker = (await (await adminFor(markerKey)).exists(markerKey)) ? await memoryUsage(markerKey) : undefined;

  // --- Bytes per session at scale: used memory of the primaries before and after SESSIONS records.
  const before = await Promise.all([...admins.values()].map(async (a) => datasetBytes(await a.info('memory'))));
  const pool = Array.from({ length: SESSIONS }, () => mintSessionId());
  await measure((i) => store.save(pool[i], record, TTL_MS), { concurrency: CONCURRENCY, durationMs: 600_000, maxOps: SESSIONS });
  const after = await Promise.all([...admins.values()].map(async (a) => datasetBytes(await a.info('memory'))));
  const perSessionAtScale = (after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0)) / SESSIONS;
  const keysPerShard = await Promise.all([...admins.values()].map((a) => a.dbsize()));
  log(`${SESSIONS} sessions written: ${keysPerShard.join(' / ')} keys per primary`);
  // The same for signed-in users with one session each: record + registry, admitted as at login.
  const users = Math.ceil(SESSIONS / 3);
  const beforeUsers = after;
  await measure(
    (i) => {
      const id = mintSessionId();
      const user = `capacity-scale-user-${i}`;
      const written = store.save(id, { ...record, userId: user }, TTL_MS);
      written.catch(() => undefined);
      return registry.admit(user, id, CAP, { recordWritten: written, evictionMarker: EVICTION_MARKER });
    },
    { concurrency: CONCURRENCY, durationMs: 600_000, maxOps: users },
  );
  const afterUsers = await Promise.all([...admins.values()].map(async (a) => datasetBytes(await a.info('memory'))));
  const perUserAtScale = (afterUsers.reduce((a, b) => a + b, 0) - beforeUsers.reduce((a, b) => a + b, 0)) / users;

  // --- Throughput at CONCURRENCY in flight, with Valkey's and this process's CPU over each run.
  const login = async (_i, worker) => {
    const newId = mintSessionId();
    // The anonymous session being upgraded: its DEL travels with the new record's SET NX.
    const written = store.cycle(mintSessionId(), newId, { ...record, userId: `capacity-user-${worker}` }, TTL_MS);
    written.catch(() => undefined);
    const [write, admission] = await Promise.allSettled([
      written,
      registry.admit(`capacity-user-${worker}`, newId, CAP, { recordWritten: written, evictionMarker: EVICTION_MARKER }),
    ]);
    if (write.status === 'rejected') throw write.reason;
    if (admission.status === 'rejected') throw admission.reason;
  };
  const scenarios = [
    {
      name: 'load (GETEX … PX, sliding)',
      op: async (i) => {
        if ((await store.load(pool[i % SESSIONS], { refreshTtlMs: TTL_MS })) === null) throw new Error('session missing');
      },
    },
    { name: 'save (SET … PX)', op: (i) => store.save(pool[i % SESSIONS], record, TTL_MS) },
    { name: `login admission (cycle + admit, cap ${CAP}, evicting)`, op: login },
  ];
  const rows = [];
  for (const scenario of scenarios) {
    await measure(scenario.op, { concurrency: CONCURRENCY, durationMs: 500, maxOps: 1_000_000 });
    const nodesBefore = await Promise.all([...admins.values()].map(nodeCounters));
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    const result = await measure(scenario.op, { concurrency: CONCURRENCY, durationMs: SECONDS * 1000, maxOps: 5_000_000 });
    const wallS = (performance.now() - t0) / 1000;
    const cpuUsed = process.cpuUsage(cpuBefore);
    const nodesAfter = await Promise.all([...admins.values()].map(nodeCounters));
    const perNode = nodesAfter.map((n, i) => ({
      cpu: (n.cpu - nodesBefore[i].cpu) / wallS,
      commandsPerSec: (n.commands - nodesBefore[i].commands) / wallS,
    }));
    // Primary CPU (replication to its replica included) spent per operation, over the whole cluster.
    const valkeyCpuUsPerOp = (perNode.reduce((sum, p) => sum + p.cpu, 0) * wallS * 1e6) / result.ops;
    const mix = {};
    nodesAfter.forEach((node, i) => {
      for (const [name, calls] of Object.entries(node.calls)) {
        const delta = calls - (nodesBefore[i].calls[name] ?? 0);
        if (delta > 0) mix[name] = (mix[name] ?? 0) + delta / result.ops;
      }
    });
    rows.push({ name: scenario.name, result, perNode, valkeyCpuUsPerOp, mix, clientCpu: (cpuUsed.user + cpuUsed.system) / 1e6 / wallS });
    log(`${scenario.name}: ${Math.round(result.opsPerSec)} ops/s`);
  }

  // --- Report.
  const n = (x) => Math.round(x).toLocaleString('en-US');
  const pct = (x) => `${Math.round(x * 100)} %`;
  const range = (xs, f) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
  const primaries = shards.length;
  const perUser = (members, registryBytes) => members * bytes.session + registryBytes;
  console.log(
    [
      `Run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, Valkey ${valkeyVersion}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}; ` +
        `${primaries} primaries + ${primaries} replicas and this client on the same machine, not pinned; session ~500 bytes encoded (bench/lib/session.fixture.mjs), AES-256-GCM.`,
      '',
      '### Bytes in Valkey (per copy: each replica holds the same again)',
      '',
      '| what | bytes |',
      '| --- | ---: |',
      `| sealed session record (STRLEN: nonce + ciphertext + tag) | ${n(bytes.sealed)} |`,
      `| session key, \`MEMORY USAGE … SAMPLES 0\` | ${n(bytes.session)} |`,
      `| registry key, 1 member | ${n(bytes.registryOne)} |`,
      `| registry key, 3 members | ${n(bytes.registryThree)} |`,
      `| eviction marker (\`{prefix}:gone:{id}\`, kept ${GONE_MARKER_TTL_MS / 60_000} min after an eviction) | ${bytes.marker === undefined ? 'none' : n(bytes.marker)} |`,
      `| per session at scale: used memory of the primaries after ${n(SESSIONS)} sessions ÷ ${n(SESSIONS)} (keyspace and expiry tables included) | ${n(perSessionAtScale)} |`,
      `| per signed-in user with 1 session at scale (record + registry): the same over ${n(users)} users | ${n(perUserAtScale)} |`,
      `| a user with 1 session, \`MEMORY USAGE\` (record + registry) | ${n(perUser(1, bytes.registryOne))} |`,
      `| a user with 3 sessions, \`MEMORY USAGE\` (records + registry), per session | ${n(perUser(3, bytes.registryThree) / 3)} |`,
      '',
      `### Throughput, ${CONCURRENCY} in flight, ${SECONDS} s each`,
      '',
      `Ops/s per shard = cluster ops/s ÷ ${primaries} (keys hash evenly; the commands/s column shows each primary's share). ` +
        "Valkey CPU: `INFO cpu` deltas of each primary over the run, as a share of one core; µs per op: all primaries' CPU ÷ operations. " +
        'Shard ceiling: one core ÷ Valkey CPU per op, a linear extrapolation (an upper bound: it ignores network and client limits). ' +
        'Client CPU: this Node process (over 100 % = more than one core: GC and I/O threads). Commands count those run inside scripts.',
      '',
      '| operation | cluster ops/s | ops/s per shard | commands/s per primary | Valkey CPU per primary | Valkey CPU µs per op | shard ceiling ops/s | client CPU | p50 µs | p99 µs |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.name} | ${n(r.result.opsPerSec)} | ${n(r.result.opsPerSec / primaries)} | ${range(
            r.perNode.map((p) => p.commandsPerSec),
            n,
          )} | ` +
          `${range(
            r.perNode.map((p) => p.cpu),
            pct,
          )} | ${r.valkeyCpuUsPerOp.toFixed(1)} | ${n(1e6 / r.valkeyCpuUsPerOp)} | ` +
          `${pct(r.clientCpu)} | ${n(r.result.p50Us)} | ${n(r.result.p99Us)} |`,
      ),
      '',
      'Commands per operation (all primaries, scripted commands included):',
      '',
      ...rows.map(
        (r) =>
          `- ${r.name}: ${Object.entries(r.mix)
            .filter(([, k]) => k >= 0.01)
            .sort((a, b) => b[1] - a[1])
            .map(([name, k]) => `${name} ${k.toFixed(2)}`)
            .join(', ')}`,
      ),
    ].join('\n'),
  );
} finally {
  await stopAll();
}
process.exit(0);
