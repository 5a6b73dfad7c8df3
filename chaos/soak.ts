import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppInstance, type AppSpec } from './apps';
import { checkHistory, type CheckResult } from './checker';
import { injectFaults } from './faults';
import { HistoryRecorder, type Operation } from './history';
import { Prng, sleep } from './prng';
import { TcpProxy } from './proxy';
import { summarize } from './report';
import { startClusterTopology, startSentinelTopology } from './topology';
import { Workload, type WorkloadOptions } from './workload';

/** One soak run. */
export interface SoakOptions {
  topology: 'cluster' | 'sentinel';
  minutes: number;
  seed: number;
  /** `durableWrites: { replicas: 1 }` on (the default) or off. */
  durable: boolean;
  /** A primary kill also cuts the replication links during the lag (see `TopologyFaults`). */
  cutLinks?: boolean;
  /** The module's command timeout. @default 1000 */
  commandTimeoutMs?: number;
  workload?: Partial<WorkloadOptions>;
  /** Revoked sessions a cached instance accepts within this long are reported apart (see `CheckOptions`). @default 1000 */
  cacheStalenessMs?: number;
  /** Where to write the whole history (JSON). */
  historyFile?: string;
  log?: (line: string) => void;
}

export const SOAK_CAP = 3;

/** The local cache's documented bound with the sample's `localCache: true`: the default `maxStalenessMs` (docs/local-cache.md). */
export const LOCAL_CACHE_STALENESS_MS = 1000;

/** Express and Fastify, local cache on for two, and one reaching Valkey through the partitionable proxies. */
/** The checker's verdict on a soak's history (its cap, its cached instances). */
export function checkSoakHistory(operations: readonly Operation[], cacheStalenessMs = LOCAL_CACHE_STALENESS_MS): CheckResult {
  return checkHistory(operations, {
    cap: SOAK_CAP,
    cachedInstances: INSTANCES.filter((i) => i.localCache).map((i) => i.name),
    cacheStalenessMs,
  });
}

const INSTANCES: AppSpec[] = [
  { name: 'express', adapter: 'express', localCache: false, proxied: false },
  { name: 'fastify-cache', adapter: 'fastify', localCache: true, proxied: false },
  { name: 'express-cache-proxied', adapter: 'express', localCache: true, proxied: true },
  { name: 'fastify', adapter: 'fastify', localCache: false, proxied: false },
];

/** Starts the topology and the apps, runs the workload and the faults for `minutes`, checks the history, stops everything. */
export async function runSoak(options: SoakOptions) {
  const log = options.log ?? (() => undefined);
  const rng = new Prng(options.seed);
  const history = new HistoryRecorder();
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  const workloadOptions: WorkloadOptions = {
    users: ['alice', 'bob', 'carol'],
    devicesPerUser: 4,
    thinkMs: [20, 200],
    hangMs: 10 * commandTimeoutMs,
    ...options.workload,
  };
  log(`starting a ${options.topology} topology`);
  const faults = { cutLinks: options.cutLinks === true };
  const topology = options.topology === 'cluster' ? await startClusterTopology(faults) : await startSentinelTopology(faults);
  const proxies = new Map<number, TcpProxy>();
  const instances: AppInstance[] = [];
  try {
    for (const port of topology.dataPorts()) {
      const proxy = new TcpProxy(port);
      await proxy.start();
      proxies.set(port, proxy);
    }
    const shared = {
      encryptionKey: randomBytes(32).toString('base64'),
      signingKey: randomBytes(32).toString('base64'),
      maxSessions: SOAK_CAP,
      overrides: {
        prefix: 'chaos',
        commandTimeoutMs,
        ...(options.durable ? { durableWrites: { replicas: 1, timeoutMs: Math.floor(commandTimeoutMs / 2) } } : {}),
      },
    };
    for (const spec of INSTANCES) {
      const instance = new AppInstance(spec, shared, topology.connection(spec.proxied ? proxies : undefined), () => history.now());
      await instance.start();
      instances.push(instance);
    }
    log(`apps up: ${instances.map((i) => `${i.spec.name} ${i.url}`).join(', ')}`);
    const workload = new Workload(workloadOptions, instances, history, rng.fork());
    const faultRng = rng.fork();
    const began = history.now();
    const deadline = began + options.minutes * 60_000;
    workload.start();
    const faults = injectFaults(
      { topology, instances, proxies, hotKeys: workloadOptions.users.map((u) => `chaos:reg:${u}`) },
      faultRng,
      history,
      deadline,
    );
    const progress = setInterval(
      () => log(`${Math.round(history.now() / 1000)} s: ${history.operations.length} operations, ${history.faults.length} faults`),
      15_000,
    );
    await faults;
    while (history.now() < deadline) await sleep(Math.min(1000, deadline - history.now()));
    clearInterval(progress);
    await workload.stop();
    const elapsedMs = history.now() - began;
    const check = checkSoakHistory(history.operations, options.cacheStalenessMs);
    const historyFile =
      options.historyFile ??
      join(tmpdir(), `axess-chaos-${options.topology}-${options.seed}-${options.durable ? 'durable' : 'async'}.json`);
    writeFileSync(historyFile, JSON.stringify({ operations: history.operations, faults: history.faults, violations: check.violations }));
    return {
      summary: summarize(
        {
          topology: options.topology,
          seed: options.seed,
          minutes: options.minutes,
          durableWrites: options.durable,
          elapsedMs,
          historyFile,
        },
        history.operations,
        history.faults,
        check,
      ),
      check,
      history,
    };
  } finally {
    for (const instance of instances) await instance.stop().catch(() => undefined);
    for (const proxy of proxies.values()) await proxy.stop();
    await topology.stop();
  }
}
