import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { adminCommand, replicasInSync, waitUntil } from './valkey-admin.js';

/** One line of `CLUSTER NODES`: id, address, flags, primary id, slots. */
interface NodeLine {
  id: string;
  port: number;
  busPort: number;
  flags: string[];
  primaryId: string;
  hasSlots: boolean;
}

function nodeLines(reply: unknown): NodeLine[] {
  return String(reply)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, address, flags, primaryId, , , , , ...slots] = line.split(' ');
      const [, ports] = address.split(':');
      const [port, bus] = ports.split('@');
      return { id, port: Number(port), busPort: Number(bus.split(',')[0]), flags: flags.split(','), primaryId, hasSlots: slots.length > 0 };
    });
}

/**
 * Brings a killed cluster node back as a new, empty node on its port (what an operator does for a
 * node without persistence): its old config is removed first, so it never wakes up believing it
 * still owns the slots it lost in the failover, and serves them empty before the cluster tells it
 * otherwise. The cluster forgets the old identity, meets the new one, and the new node replicates
 * the primary with the fewest replicas (the one that took over from it).
 */
export async function rejoinAsNewNode(
  port: number,
  dir: string,
  livePorts: number[],
  launch: () => Promise<void>,
  timeoutMs: number,
): Promise<void> {
  const seen = nodeLines(await adminCommand(livePorts[0], 'CLUSTER', 'NODES'));
  const old = seen.find((n) => n.port === port);
  rmSync(join(dir, `nodes-${port}.conf`), { force: true });
  await launch();
  if (old) await Promise.all(livePorts.map((p) => adminCommand(p, 'CLUSTER', 'FORGET', old.id).catch(() => undefined)));
  const anchor = seen.find((n) => n.port === livePorts[0])!;
  await adminCommand(port, 'CLUSTER', 'MEET', '127.0.0.1', anchor.port, anchor.busPort);
  const others = seen.filter((n) => n.port !== port && !n.flags.includes('fail'));
  await waitUntil(`node ${port} rejoined`, timeoutMs, async () => {
    const known = nodeLines(await adminCommand(port, 'CLUSTER', 'NODES'));
    return others.every((o) => known.some((k) => k.id === o.id)) || `node ${port} knows ${known.length} nodes`;
  });
  let target: NodeLine | undefined;
  // Retried: the new node may not have heard of every slot owner yet.
  await waitUntil(`node ${port} made a replica`, timeoutMs, async () => {
    const now = nodeLines(await adminCommand(livePorts[0], 'CLUSTER', 'NODES')).filter((n) => !n.flags.includes('fail'));
    const replicasOf = (id: string) => now.filter((n) => n.primaryId === id).length;
    target = now.filter((n) => n.flags.includes('master') && n.hasSlots).sort((a, b) => replicasOf(a.id) - replicasOf(b.id))[0];
    await adminCommand(port, 'CLUSTER', 'REPLICATE', target.id);
    return true;
  });
  await waitUntil(`node ${port} replicating ${target!.port}`, timeoutMs, () => replicasInSync([port]));
}
