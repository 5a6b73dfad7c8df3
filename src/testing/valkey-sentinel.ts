import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminCommand, askAny, infoFields, pairs, replicasInSync, waitUntil } from './valkey-admin.js';
import type { ValkeyNodeAddress } from './valkey-cluster.js';
import { launchGroup, type ValkeyProcess } from './valkey-process.js';

/** Options of {@link startValkeySentinelGroup}. */
export interface ValkeySentinelGroupOptions {
  /** Name the sentinels monitor the primary under (iovalkey's `name` option). @default 'axess-primary' */
  name?: string;
  /** Number of replicas of the primary. @default 1 */
  replicas?: number;
  /** Number of sentinels. @default 3 */
  sentinels?: number;
  /** Sentinels that must agree the primary is down. @default 2 */
  quorum?: number;
  /** `down-after-milliseconds`: silence before a sentinel deems the primary down. @default 1000 */
  downAfterMs?: number;
  /** `failover-timeout`. @default 3000 */
  failoverTimeoutMs?: number;
  /** How long to wait for the group to form. @default 30000 */
  readyTimeoutMs?: number;
  /** The server binary (run with `--sentinel` for the sentinels). @default process.env.VALKEY_SERVER ?? 'valkey-server' */
  binary?: string;
}

/** A private primary + replica watched by sentinels on loopback, owned by a test run. */
export interface ValkeyTestSentinelGroup {
  /** The monitored name (iovalkey's `name` option). */
  readonly name: string;
  /** The sentinels (iovalkey's `sentinels` option). */
  readonly sentinels: readonly ValkeyNodeAddress[];
  /** The data servers as started: the initial primary, then the replicas. */
  readonly servers: readonly ValkeyNodeAddress[];
  /** The primary the sentinels report now. */
  primary(): Promise<ValkeyNodeAddress>;
  /** Kills the current primary outright (SIGKILL, like a crash); returns its port. */
  killPrimary(): Promise<number>;
  /**
   * Starts a killed data server again on its port and directory (empty, no persistence), as a
   * replica of the primary the sentinels report now.
   */
  restart(port: number): Promise<void>;
  /** Freezes the data server on `port` (SIGSTOP): it keeps its sockets but answers nothing. */
  pause(port: number): void;
  /** Thaws a paused data server (SIGCONT). */
  resume(port: number): void;
  /** Resolves once the sentinels report a primary other than `port` and it answers as primary. */
  waitForFailover(port: number, timeoutMs?: number): Promise<ValkeyNodeAddress>;
  /** Kills every process and removes their directories. */
  stop(): Promise<void>;
}

/**
 * Starts a primary, its replicas and sentinels with short down-after / failover timeouts, and
 * waits until every sentinel sees the replicas and the other sentinels (so a failover can happen).
 * The caller must `stop()` it, also when a test fails.
 */
export async function startValkeySentinelGroup(options: ValkeySentinelGroupOptions = {}): Promise<ValkeyTestSentinelGroup> {
  const name = options.name ?? 'axess-primary';
  const sentinelCount = options.sentinels ?? 3;
  const replicaCount = options.replicas ?? 1;
  if (!Number.isInteger(replicaCount) || replicaCount < 1) throw new Error('A sentinel group needs at least one replica.');
  const quorum = options.quorum ?? 2;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error('The sentinel group name must be letters, digits, _ . -');

  const group = launchGroup('sentinel');
  const dataServers: ValkeyProcess[] = [];
  let sentinelProcesses: ValkeyProcess[] = [];
  try {
    const primary = await group.launch({
      dir: group.dir('primary'),
      binary: options.binary,
      args: ['--repl-diskless-sync-delay', '0'],
    });
    const replicas = await Promise.all(
      Array.from({ length: replicaCount }, (_, i) =>
        group.launch({
          dir: group.dir(i === 0 ? 'replica' : `replica-${i}`),
          binary: options.binary,
          args: replicaOf(primary.port),
        }),
      ),
    );
    dataServers.push(primary, ...replicas);
    // Sentinels learn the replicas from the primary's INFO: start them once they are attached.
    await waitUntil('replicas in sync', readyTimeoutMs, () => replicasInSync(replicas.map((r) => r.port)));
    const sentinels = await Promise.all(
      Array.from({ length: sentinelCount }, (_, i) => {
        const dir = group.dir(`sentinel-${i}`);
        // Sentinels rewrite their config file, so each gets its own writable copy.
        const configFile = join(dir, 'sentinel.conf');
        writeFileSync(
          configFile,
          [
            `sentinel monitor ${name} 127.0.0.1 ${primary.port} ${quorum}`,
            `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
            `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3000}`,
            `sentinel parallel-syncs ${name} 1`,
            '',
          ].join('\n'),
        );
        return group.launch({ dir, configFile, binary: options.binary, args: ['--sentinel'] });
      }),
    );
    sentinelProcesses = sentinels;
    await waitUntil('sentinels ready', readyTimeoutMs, async () => {
      for (const sentinel of sentinels) {
        const master = pairs(await adminCommand(sentinel.port, 'SENTINEL', 'MASTER', name));
        const [flags, seen, others] = ['flags', 'num-slaves', 'num-other-sentinels'].map((field) => String(master.get(field)));
        if (flags !== 'master') return `sentinel ${sentinel.port} flags the primary ${flags}`;
        if (seen !== String(replicaCount)) return `sentinel ${sentinel.port} sees ${seen} replicas`;
        if (others !== String(sentinelCount - 1)) return `sentinel ${sentinel.port} sees ${others} other sentinels`;
      }
      return true;
    });
  } catch (error) {
    await group.stop();
    throw error;
  }

  const dead = new Set<number>();
  const primaryNow = async (): Promise<ValkeyNodeAddress> => {
    const ports = sentinelProcesses.map((p) => p.port);
    const reply = (await askAny(ports, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
    if (!reply) throw new Error(`no sentinel knows the primary ${name}`);
    return { host: '127.0.0.1', port: Number(reply[1]) };
  };

  return {
    name,
    sentinels: sentinelProcesses.map((p) => ({ host: '127.0.0.1', port: p.port })),
    servers: dataServers.map((p) => ({ host: '127.0.0.1', port: p.port })),
    primary: primaryNow,
    killPrimary: async () => {
      const { port } = await primaryNow();
      const node = dataServers.find((p) => p.port === port);
      if (!node || dead.has(port)) throw new Error(`The reported primary ${port} is not running.`);
      dead.add(port);
      await node.crash();
      return port;
    },
    restart: async (port) => {
      const index = dataServers.findIndex((p) => p.port === port);
      if (index < 0 || !dead.has(port)) throw new Error(`No killed data server on port ${port}.`);
      const primary = await primaryNow();
      dataServers[index] = await group.launch({
        port,
        dir: dataServers[index].dir,
        binary: options.binary,
        args: replicaOf(primary.port),
      });
      dead.delete(port);
    },
    pause: (port) => dataServers.find((p) => p.port === port)?.signal('SIGSTOP'),
    resume: (port) => dataServers.find((p) => p.port === port)?.signal('SIGCONT'),
    waitForFailover: async (port, timeoutMs = readyTimeoutMs) => {
      let promoted: ValkeyNodeAddress | undefined;
      await waitUntil('sentinel failover', timeoutMs, async () => {
        const candidate = await primaryNow();
        if (candidate.port === port) return 'sentinels still report the old primary';
        const role = infoFields(await adminCommand(candidate.port, 'INFO', 'replication')).get('role');
        if (role !== 'master') return `the new primary ${candidate.port} still answers as ${role}`;
        promoted = candidate;
        return true;
      });
      return promoted!;
    },
    stop: group.stop,
  };
}

/** A replica of the server on `port`; it syncs at once instead of after the default 5 s diskless delay. */
function replicaOf(port: number): string[] {
  return ['--replicaof', '127.0.0.1', String(port), '--repl-diskless-sync-delay', '0'];
}
