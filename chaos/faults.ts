import type { AppInstance } from './apps';
import { admin } from './admin';
import type { FaultKind, HistoryRecorder } from './history';
import { sleep, type Prng } from './prng';
import type { TcpProxy } from './proxy';
import type { Topology } from './topology';

/** What the fault injector acts on. */
export interface FaultTargets {
  topology: Topology;
  instances: AppInstance[];
  /** The proxies of the partitionable instance, by node port. */
  proxies: Map<number, TcpProxy>;
  /** Keys whose slots are worth moving (the hot users' registries). */
  hotKeys: string[];
}

/** Pause between two faults, ms: long enough for the system to show whether it recovered. */
const GAP_MS: [number, number] = [3000, 6000];

/**
 * The order of faults: rounds of every kind once, shuffled by the seed, with a primary kill first
 * and another one in the middle of each round (so even a short run has two).
 */
function* schedule(rng: Prng, cluster: boolean): Generator<FaultKind> {
  const others: FaultKind[] = [
    'client-pause',
    'client-kill',
    'partition',
    'app-restart',
    ...(cluster ? (['slot-migration'] as const) : []),
  ];
  for (;;) {
    const round = rng.shuffle(others);
    round.splice(Math.ceil(round.length / 2), 0, 'primary-kill');
    yield 'primary-kill';
    yield* round;
  }
}

/** Injects faults one after another until `deadline` (ms on the history's clock). */
export async function injectFaults(targets: FaultTargets, rng: Prng, history: HistoryRecorder, deadline: number): Promise<void> {
  const kinds = schedule(rng, targets.topology.kind === 'cluster');
  await sleep(rng.int(...GAP_MS));
  while (history.now() < deadline - 4000) {
    const kind = kinds.next().value as FaultKind;
    const start = history.now();
    let detail: string;
    try {
      detail = await inject(kind, targets, rng);
    } catch (error) {
      detail = `failed: ${(error as Error).message}`;
    }
    history.fault({ kind, start, end: history.now(), detail });
    await sleep(rng.int(...GAP_MS));
  }
}

async function inject(kind: FaultKind, targets: FaultTargets, rng: Prng): Promise<string> {
  const { topology } = targets;
  switch (kind) {
    case 'primary-kill':
      return topology.killPrimary(rng, rng.int(200, 800));
    case 'client-pause': {
      const port = rng.pick(await topology.primaries());
      const ms = rng.int(300, 1500);
      await admin(port, 'CLIENT', 'PAUSE', ms, 'ALL');
      await sleep(ms);
      return `CLIENT PAUSE ${ms} ALL on ${port}`;
    }
    case 'client-kill': {
      const port = rng.pick(await topology.primaries());
      const normal = await admin(port, 'CLIENT', 'KILL', 'TYPE', 'normal');
      const pubsub = await admin(port, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
      return `CLIENT KILL on ${port}: ${String(normal)} normal, ${String(pubsub)} pubsub connections`;
    }
    case 'partition': {
      const ms = rng.int(1000, 4000);
      for (const proxy of targets.proxies.values()) proxy.partition();
      await sleep(ms);
      for (const proxy of targets.proxies.values()) proxy.heal();
      const cut = targets.instances.filter((i) => i.spec.proxied).map((i) => i.spec.name);
      return `${cut.join(',')} cut off from Valkey for ${ms} ms`;
    }
    case 'slot-migration': {
      const key = rng.pick(targets.hotKeys);
      const port = rng.pick(await topology.primaries());
      const slot = Number(await admin(port, 'CLUSTER', 'KEYSLOT', key));
      return topology.migrateSlot!(slot, rng);
    }
    case 'app-restart': {
      const instance = rng.pick(targets.instances);
      await instance.restart();
      return `restarted ${instance.spec.name}`;
    }
  }
}
