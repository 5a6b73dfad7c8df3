import { spawn } from 'node:child_process';
import { adminCommand, askAny, infoFields, pairs, replicasInSync, waitUntil } from './valkey-admin.js';
import { rejoinAsNewNode } from './valkey-cluster-rejoin.js';
import { freePort, launchGroup, type ValkeyProcess } from './valkey-process.js';

/** Options of {@link startValkeyCluster}. */
export interface ValkeyClusterOptions {
  /** Number of primaries (slot owners). @default 3 */
  primaries?: number;
  /** Replicas of each primary. @default 1 */
  replicasPerPrimary?: number;
  /** `cluster-node-timeout`: how long a silent node takes to be failed over. @default 1500 */
  nodeTimeoutMs?: number;
  /** How long to wait for the cluster to form. @default 30000 */
  readyTimeoutMs?: number;
  /** The server binary. @default process.env.VALKEY_SERVER ?? 'valkey-server' */
  binary?: string;
  /** The CLI used to create the cluster. @default process.env.VALKEY_CLI ?? 'valkey-cli' */
  cliBinary?: string;
}

/** A node's loopback address, the shape iovalkey's `Cluster` and `sentinels` options take. */
export interface ValkeyNodeAddress {
  /** Always loopback. */
  readonly host: '127.0.0.1';
  /** The node's port. */
  readonly port: number;
}

/** One shard as the cluster reports it now. */
export interface ValkeyClusterShard {
  /** Port of the shard's primary. */
  primary: number;
  /** Ports of its replicas. */
  replicas: number[];
  /** Inclusive slot ranges. */
  slots: Array<[number, number]>;
}

/** A private Valkey Cluster on loopback, owned by a test run. */
export interface ValkeyTestCluster {
  /** Every node as started (primaries first); pass them as iovalkey `Cluster` seed nodes. */
  readonly nodes: readonly ValkeyNodeAddress[];
  /** The shards as a live node reports them. */
  shards(): Promise<ValkeyClusterShard[]>;
  /** The hash slot of `key` (`CLUSTER KEYSLOT`). */
  slotOf(key: string): Promise<number>;
  /** Port of the primary that holds `key` now. */
  primaryOf(key: string): Promise<number>;
  /** Resolves once every running replica of `key`'s primary has all it had written when called: a failover then loses none. */
  waitForReplication(key: string, timeoutMs?: number): Promise<void>;
  /** Kills the primary holding `key` outright (SIGKILL, like a crash); returns its port. */
  killPrimaryOf(key: string): Promise<number>;
  /** Kills the node on `port` outright (SIGKILL). */
  kill(port: number): Promise<void>;
  /** Starts a killed node again on its port as a new, empty replica (see `rejoinAsNewNode`). */
  restart(port: number): Promise<void>;
  /** Freezes the node on `port` (SIGSTOP): it keeps its sockets but answers nothing. */
  pause(port: number): void;
  /** Thaws a paused node (SIGCONT). */
  resume(port: number): void;
  /** Resolves once every running node says `cluster_state:ok` and every running replica is in sync. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes their directories. */
  stop(): Promise<void>;
}

const SLOTS = 16384;

/**
 * Starts a Valkey Cluster of `primaries × (1 + replicasPerPrimary)` nodes on free loopback ports
 * and waits until every node is `ok` with all slots covered and every replica in sync (so a
 * failover can happen). The caller must `stop()` it, also when a test fails.
 */
export async function startValkeyCluster(options: ValkeyClusterOptions = {}): Promise<ValkeyTestCluster> {
  const primaries = options.primaries ?? 3;
  const replicasPerPrimary = options.replicasPerPrimary ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1500;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  if (!Number.isInteger(primaries) || primaries < 3) throw new Error('A Valkey Cluster needs at least 3 primaries.');
  if (!Number.isInteger(replicasPerPrimary) || replicasPerPrimary < 0) throw new Error('replicasPerPrimary must be a whole number.');

  const group = launchGroup('cluster');
  const processes = new Map<number, ValkeyProcess>();
  // What each node was started with, to start a killed one again as itself.
  const launches = new Map<number, { dir: string; args: string[] }>();
  try {
    const total = primaries * (1 + replicasPerPrimary);
    const launched = await Promise.all(
      Array.from({ length: total }, (_, i) => {
        const dir = group.dir(`node-${i}`);
        return group.launch({
          dir,
          binary: options.binary,
          args: async (port) => {
            const args = [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              `nodes-${port}.conf`,
              '--cluster-node-timeout',
              String(nodeTimeoutMs),
              // An explicit bus port: the default (port + 10000) may be taken or above 65535.
              '--cluster-port',
              String(await freePort()),
              // Replicas sync at once instead of after the default 5 s diskless delay.
              '--repl-diskless-sync-delay',
              '0',
            ];
            launches.set(port, { dir, args });
            return args;
          },
        });
      }),
    );
    for (const p of launched) processes.set(p.port, p);
    const ports = launched.map((p) => p.port);
    await createCluster(options.cliBinary, ports, replicasPerPrimary);
    await waitUntil('cluster formed', readyTimeoutMs, async () => {
      for (const port of ports) {
        const info = infoFields(await adminCommand(port, 'CLUSTER', 'INFO'));
        if (info.get('cluster_state') !== 'ok') return `node ${port} is ${info.get('cluster_state')}`;
        if (info.get('cluster_slots_ok') !== String(SLOTS)) return `node ${port} has ${info.get('cluster_slots_ok')} slots ok`;
        if (info.get('cluster_known_nodes') !== String(total)) return `node ${port} knows ${info.get('cluster_known_nodes')} nodes`;
        // Every node must know who replicates whom, or a failover vote cannot succeed.
        const replicas = String(await adminCommand(port, 'CLUSTER', 'NODES'))
          .split('\n')
          .filter((line) => (line.split(' ')[2] ?? '').split(',').some((flag) => flag === 'slave' || flag === 'replica'));
        if (replicas.length !== primaries * replicasPerPrimary) return `node ${port} sees ${replicas.length} replicas`;
      }
      return replicasInSync(ports);
    });
  } catch (error) {
    await group.stop();
    throw error;
  }

  const dead = new Set<number>();
  const paused = new Set<number>();
  const live = () => [...processes.keys()].filter((port) => !dead.has(port) && !paused.has(port));
  const ask = (command: string, ...args: Array<string | number>) => askAny(live(), command, ...args);
  const shards = async (): Promise<ValkeyClusterShard[]> => {
    // CLUSTER SHARDS rather than SLOTS: SLOTS leaves out replicas that have not replicated a write yet.
    const reply = (await ask('CLUSTER', 'SHARDS')) as unknown[];
    const result: ValkeyClusterShard[] = [];
    for (const entry of reply) {
      const shard = pairs(entry);
      const nodes = ((shard.get('nodes') as unknown[]) ?? []).map(pairs);
      const primary =
        nodes.find((n) => n.get('role') === 'master' && n.get('health') === 'online') ?? nodes.find((n) => n.get('role') === 'master');
      const bounds = ((shard.get('slots') as unknown[]) ?? []).map(Number);
      if (!primary || bounds.length === 0) continue;
      const slots: Array<[number, number]> = [];
      for (let i = 0; i + 1 < bounds.length; i += 2) slots.push([bounds[i], bounds[i + 1]]);
      result.push({
        primary: Number(primary.get('port')),
        replicas: nodes.filter((n) => n.get('role') === 'replica' && n.get('health') !== 'fail').map((n) => Number(n.get('port'))),
        slots,
      });
    }
    return result;
  };
  const slotOf = async (key: string) => Number(await ask('CLUSTER', 'KEYSLOT', key));
  const primaryOf = async (key: string) => {
    const slot = await slotOf(key);
    const shard = (await shards()).find((s) => s.slots.some(([start, end]) => slot >= start && slot <= end));
    if (!shard) throw new Error(`No primary serves slot ${slot}.`);
    return shard.primary;
  };
  const kill = async (port: number) => {
    const node = processes.get(port);
    if (!node) throw new Error(`No cluster node on port ${port}.`);
    dead.add(port);
    await node.crash();
  };

  return {
    nodes: [...processes.keys()].map((port) => ({ host: '127.0.0.1', port })),
    shards,
    slotOf,
    primaryOf,
    waitForReplication: async (key, timeoutMs = readyTimeoutMs) => {
      const primary = await primaryOf(key);
      const written = Number(infoFields(await adminCommand(primary, 'INFO', 'replication')).get('master_repl_offset'));
      const replicas = (await shards()).find((s) => s.primary === primary)?.replicas.filter((port) => live().includes(port)) ?? [];
      await waitUntil(`replicas of ${primary} at offset ${written}`, timeoutMs, async () => {
        for (const port of replicas) {
          const received = Number(infoFields(await adminCommand(port, 'INFO', 'replication')).get('slave_repl_offset') ?? -1);
          if (!(received >= written)) return `replica ${port} is at ${received}`;
        }
        return true;
      });
    },
    killPrimaryOf: async (key) => {
      const port = await primaryOf(key);
      await kill(port);
      return port;
    },
    kill,
    restart: async (port) => {
      const launch = launches.get(port);
      if (!launch || !dead.has(port)) throw new Error(`No killed cluster node on port ${port}.`);
      await rejoinAsNewNode(
        port,
        launch.dir,
        live(),
        async () => {
          processes.set(port, await group.launch({ port, dir: launch.dir, binary: options.binary, args: launch.args }));
          dead.delete(port);
        },
        readyTimeoutMs,
      );
    },
    pause: (port) => {
      paused.add(port);
      processes.get(port)?.signal('SIGSTOP');
    },
    resume: (port) => {
      paused.delete(port);
      processes.get(port)?.signal('SIGCONT');
    },
    waitUntilHealthy: (timeoutMs = readyTimeoutMs) =>
      waitUntil('cluster healthy', timeoutMs, async () => {
        for (const port of live()) {
          const state = infoFields(await adminCommand(port, 'CLUSTER', 'INFO')).get('cluster_state');
          if (state !== 'ok') return `node ${port} is ${state}`;
        }
        return replicasInSync(live());
      }),
    stop: group.stop,
  };
}

/** Runs `valkey-cli --cluster create`: the first ports become primaries, the rest their replicas. */
function createCluster(cliBinary: string | undefined, ports: number[], replicasPerPrimary: number): Promise<void> {
  const cli = cliBinary ?? process.env.VALKEY_CLI ?? 'valkey-cli';
  const args = [
    '--cluster',
    'create',
    ...ports.map((p) => `127.0.0.1:${p}`),
    '--cluster-replicas',
    String(replicasPerPrimary),
    '--cluster-yes',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cli} --cluster create exited with ${code}: ${output.trim().slice(-2000)}`));
    });
  });
}
