import type { AxessConnectionOptions } from '@axess/nestjs-session';
import {
  startValkeyCluster,
  startValkeySentinelGroup,
  type ValkeyTestCluster,
  type ValkeyTestSentinelGroup,
} from '@axess/nestjs-session/testing';
import { admin, infoField, until } from './admin';
import type { Prng } from './prng';
import { sleep } from './prng';
import { TcpProxy } from './proxy';

/** Where app instances connect, what can be done to it, and the proxies of the partitionable instance. */
export interface Topology {
  readonly kind: 'cluster' | 'sentinel';
  /** Every data node's port (primaries and replicas). */
  dataPorts(): number[];
  /** Ports of the primaries now. */
  primaries(): Promise<number[]>;
  /** How an app reaches the data; through `proxies` (node port → proxy) when given. */
  connection(proxies?: Map<number, TcpProxy>): AxessConnectionOptions;
  /**
   * SIGKILLs a primary after its replicas stalled for `lagMs` (SIGSTOP: what they had not received
   * is lost in the failover, as asynchronous replication allows), waits for the failover, starts
   * the killed node again as a replica and waits until it is in sync.
   */
  killPrimary(rng: Prng, lagMs: number): Promise<string>;
  /** Moves one hash slot between primaries (Cluster only). */
  migrateSlot?(slot: number, rng: Prng): Promise<string>;
  stop(): Promise<void>;
}

const natMapOf = (proxies?: Map<number, TcpProxy>) =>
  proxies ? Object.fromEntries([...proxies].map(([port, p]) => [`127.0.0.1:${port}`, { host: '127.0.0.1', port: p.port }])) : undefined;

/** How hard the faults hit. */
export interface TopologyFaults {
  /**
   * `--cut-links`: a primary kill also closes the primary's replication links while its replicas
   * are frozen (`CLIENT KILL TYPE replica`), so nothing written during the lag reaches them.
   * Freezing alone loses less: what the primary had written to the replicas' sockets sits in the
   * kernel and is applied when they are thawed.
   */
  cutLinks?: boolean;
}

export async function startClusterTopology(faults: TopologyFaults = {}): Promise<Topology> {
  const cluster = await startValkeyCluster({ primaries: 3, replicasPerPrimary: 1, nodeTimeoutMs: 1500 });
  const ports = cluster.nodes.map((n) => n.port);
  return {
    kind: 'cluster',
    dataPorts: () => ports,
    primaries: async () => (await cluster.shards()).map((s) => s.primary),
    connection: (proxies) => {
      const natMap = natMapOf(proxies);
      return {
        clusterNodes: ports.map((port) => ({ host: '127.0.0.1', port: proxies?.get(port)?.port ?? port })),
        ...(natMap ? { clusterOptions: { natMap } } : {}),
      };
    },
    killPrimary: async (rng, lagMs) => {
      // Only a primary with a replica can fail over: killing one without would take its slots down for good.
      const shard = rng.pick((await cluster.shards()).filter((s) => s.replicas.length > 0));
      if (!shard) throw new Error('no primary has a replica to fail over to');
      const replicas = shard.replicas;
      for (const port of replicas) cluster.pause(port);
      if (faults.cutLinks) await cutReplicationLinks(shard.primary);
      await sleep(lagMs);
      await cluster.kill(shard.primary);
      for (const port of replicas) cluster.resume(port);
      await until('cluster failover', 30_000, async () => {
        const now = await cluster.shards();
        if (now.some((s) => s.primary === shard.primary)) return `${shard.primary} still serves slots`;
        for (const port of ports.filter((p) => p !== shard.primary)) {
          if (infoField(await admin(port, 'CLUSTER', 'INFO'), 'cluster_state') !== 'ok') return `${port} not ok`;
        }
        return true;
      });
      await cluster.restart(shard.primary);
      await cluster.waitUntilHealthy(30_000);
      const moved = await rebalanceReplicas(cluster);
      return `killed primary ${shard.primary} (replicas ${replicas.join(',')} stalled ${lagMs} ms), restarted as a replica${moved}`;
    },
    migrateSlot: async (slot, rng) => {
      const shards = await cluster.shards();
      const from = shards.find((s) => s.slots.some(([a, b]) => slot >= a && slot <= b));
      if (!from) throw new Error(`no owner for slot ${slot}`);
      const to = rng.pick(shards.filter((s) => s !== from));
      const idOf = async (port: number) => String(await admin(port, 'CLUSTER', 'MYID'));
      const [fromId, toId] = await Promise.all([idOf(from.primary), idOf(to.primary)]);
      await admin(to.primary, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
      await admin(from.primary, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
      let moved = 0;
      for (;;) {
        const keys = (await admin(from.primary, 'CLUSTER', 'GETKEYSINSLOT', slot, 50)) as string[];
        if (keys.length === 0) break;
        await admin(from.primary, 'MIGRATE', '127.0.0.1', to.primary, '', 0, 5000, 'REPLACE', 'KEYS', ...keys);
        moved += keys.length;
      }
      for (const port of [to.primary, from.primary, ...shards.map((s) => s.primary)]) {
        await admin(port, 'CLUSTER', 'SETSLOT', slot, 'NODE', toId).catch(() => undefined);
      }
      await cluster.waitUntilHealthy(30_000);
      return `slot ${slot} (${moved} keys) from ${from.primary} to ${to.primary}`;
    },
    stop: () => cluster.stop(),
  };
}

export async function startSentinelTopology(faults: TopologyFaults = {}): Promise<Topology> {
  // Not 1 s: right after a promotion a sentinel's link to the new primary is reset, and with 1 s
  // of silence allowed it sometimes failed over a healthy primary, leaving two for about a second
  // (docs/chaos.md, finding 8).
  const group: ValkeyTestSentinelGroup = await startValkeySentinelGroup({ replicas: 2, sentinels: 3, quorum: 2, downAfterMs: 3000 });
  const ports = group.servers.map((s) => s.port);
  return {
    kind: 'sentinel',
    dataPorts: () => ports,
    primaries: async () => [(await group.primary()).port],
    connection: (proxies) => {
      const natMap = natMapOf(proxies);
      return { sentinels: [...group.sentinels], name: group.name, ...(natMap ? { natMap } : {}) };
    },
    killPrimary: async (_rng, lagMs) => {
      const primary = (await group.primary()).port;
      const replicas = ports.filter((p) => p !== primary);
      for (const port of replicas) group.pause(port);
      if (faults.cutLinks) await cutReplicationLinks(primary);
      await sleep(lagMs);
      await group.killPrimary();
      for (const port of replicas) group.resume(port);
      const promoted = await group.waitForFailover(primary, 30_000);
      await group.restart(primary);
      await until('restarted replica in sync', 30_000, async () => {
        for (const port of ports) {
          const info = await admin(port, 'INFO', 'replication');
          if (infoField(info, 'role') === 'slave' && infoField(info, 'master_link_status') !== 'up') return `${port} not in sync`;
        }
        return true;
      });
      return `killed primary ${primary} (replicas stalled ${lagMs} ms), ${promoted.port} promoted, ${primary} restarted as a replica`;
    },
    stop: () => group.stop(),
  };
}

/**
 * Gives a primary left without a replica one from a primary that has two. The restarted node joins
 * the primary with the fewest replicas as it sees them, which a node flagged failing at that moment
 * can skew, and Valkey migrates replicas only to primaries that once had one (a promoted replica
 * never did), so a shard could stay without a replica, and the next kill of its primary would take
 * its slots down for the rest of the run.
 */
async function rebalanceReplicas(cluster: ValkeyTestCluster): Promise<string> {
  const shards = await cluster.shards();
  const orphan = shards.find((s) => s.replicas.length === 0);
  const donor = shards.find((s) => s.replicas.length > 1);
  if (!orphan || !donor) return '';
  const replica = donor.replicas[0];
  await admin(replica, 'CLUSTER', 'REPLICATE', String(await admin(orphan.primary, 'CLUSTER', 'MYID')));
  await cluster.waitUntilHealthy(30_000);
  return `; replica ${replica} moved from ${donor.primary} to ${orphan.primary}`;
}

/** Closes the primary's links to its frozen replicas: what it writes from now on reaches none of them. */
async function cutReplicationLinks(primary: number): Promise<void> {
  await admin(primary, 'CLIENT', 'KILL', 'TYPE', 'replica');
}
