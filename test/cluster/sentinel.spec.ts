import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'iovalkey';
import {
  AxessSessionModule,
  KeyLayout,
  mintSessionId,
  SessionStore,
  SessionStoreError,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { startValkeySentinelGroup, type ValkeyTestSentinelGroup } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { recovered, runTraffic, watchUnhandledRejections } from '../harness/cluster-traffic';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Generous bound for "recovers on its own": detection, agreement and promotion take a few seconds. */
const RECOVERY_BOUND_MS = 30_000;

let group: ValkeyTestSentinelGroup;
const apps: INestApplicationContext[] = [];

/** Boots the module on the sentinel group, as an app would configure it. */
async function boot(
  options: Partial<AxessSessionModuleOptions> = {},
): Promise<{ store: SessionStore; prefix: string; encryptionKey: Buffer }> {
  const prefix = options.prefix ?? uniquePrefix();
  const encryptionKey = (options.encryptionKey as Buffer | undefined) ?? randomKey();
  const module = AxessSessionModule.forRoot({
    connection: { sentinels: group.sentinels.map(({ host, port }) => ({ host, port })), name: group.name },
    signingKey: randomKey(),
    ...options,
    prefix,
    encryptionKey,
  });
  const app = await (await Test.createTestingModule({ imports: [module] }).compile()).init();
  apps.push(app);
  return { store: app.get(SessionStore), prefix, encryptionKey };
}

async function existsOn(port: number, key: string): Promise<number> {
  const client = new Redis({ host: '127.0.0.1', port });
  try {
    return await client.exists(key);
  } finally {
    client.disconnect();
  }
}

beforeAll(async () => {
  group = await startValkeySentinelGroup();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(apps.map((app) => app.close()));
  await group?.stop();
});

describe('Sentinel-managed primary', () => {
  it('forRoot({ connection: { sentinels, name } }) saves and loads through the primary the sentinels report', async () => {
    const { store, prefix } = await boot();
    expect(store.backend).toBe('valkey');
    const id = mintSessionId();
    expect(await store.save(id, { data: { via: 'sentinel' }, createdAt: 1 }, 60_000)).toBe(true);
    expect((await store.load(id))?.data).toEqual({ via: 'sentinel' });
    const primary = await group.primary();
    expect(primary.port).toBe(group.servers[0].port);
    expect(await existsOn(primary.port, new KeyLayout(prefix).session(id))).toBe(1);
  });

  it('durableWrites set on the module: saves wait for the replica, and fail typed while it is frozen', async () => {
    const { store } = await boot({ durableWrites: { replicas: 1, timeoutMs: 300 } });
    expect(await store.save(mintSessionId(), { data: {}, createdAt: 1 }, 60_000)).toBe(true);
    group.pause(group.servers[1].port);
    try {
      await expect(store.save(mintSessionId(), { data: {}, createdAt: 1 }, 60_000)).rejects.toMatchObject({
        name: 'SessionStoreError',
        kind: 'replication',
      });
    } finally {
      group.resume(group.servers[1].port);
    }
    expect(await store.save(mintSessionId(), { data: {}, createdAt: 1 }, 60_000)).toBe(true);
  });

  it('a bad durableWrites option fails the boot, naming the option', async () => {
    // An app-owned client: a boot that fails never reaches the shutdown hook that would quit one the module made.
    const client = new Redis({ sentinels: [...group.sentinels], name: group.name, lazyConnect: true });
    try {
      await expect(boot({ connection: undefined, client, durableWrites: { replicas: 1, timeoutMs: 0 } })).rejects.toMatchObject({
        name: 'AxessOptionsError',
        option: 'durableWrites.timeoutMs',
      });
    } finally {
      client.disconnect();
    }
  });

  it('the primary killed mid-traffic: typed errors, no unhandled rejection, recovery on its own, and every durably acknowledged session survives', async () => {
    const plain = await boot({ commandTimeoutMs: 1_000 });
    const durable = await boot({ commandTimeoutMs: 1_000, durableWrites: { replicas: 1, timeoutMs: 300 } });
    const unhandled = watchUnhandledRejections();
    let killedAt = Number.POSITIVE_INFINITY;
    try {
      const plainTraffic = runTraffic({
        store: plain.store,
        maxMs: RECOVERY_BOUND_MS,
        done: (ops) => recovered(ops, killedAt, 100, 100, () => true),
      });
      // The promoted replica has no replica of its own: durable writes then fail, typed.
      const durableTraffic = runTraffic({
        store: durable.store,
        workers: 2,
        maxMs: RECOVERY_BOUND_MS,
        done: (ops) => ops.some((op) => op.startedAt > killedAt && (op.error as SessionStoreError | undefined)?.kind === 'replication'),
      });
      await sleep(500);
      killedAt = Date.now();
      const killed = await group.killPrimary();
      const [plainOps, durableOps] = await Promise.all([plainTraffic, durableTraffic]);

      expect(killed).toBe(group.servers[0].port);
      expect((await group.primary()).port).toBe(group.servers[1].port);
      for (const op of [...plainOps, ...durableOps].filter((o) => o.outcome === 'error')) {
        expect(op.error).toBeInstanceOf(SessionStoreError);
        expect(['connection', 'command', 'replication']).toContain((op.error as SessionStoreError).kind);
      }
      expect(plainOps.filter((op) => op.outcome === 'error').every((op) => (op.error as SessionStoreError).kind !== 'replication')).toBe(
        true,
      );
      expect(plainOps.filter((op) => op.endedAt < killedAt).every((op) => op.outcome === 'ok')).toBe(true);
      expect(recovered(plainOps, killedAt, 100, 100, () => true)).toBe(true);

      const acknowledged = durableOps.filter((op) => op.saved);
      expect(acknowledged.filter((op) => op.endedAt > killedAt - 500).length).toBeGreaterThan(0);
      expect(durableOps.filter((op) => op.outcome === 'lost')).toEqual([]);
      // Read through a fresh app: the durable one's connection may still be draining WAITs.
      const reader = await boot({ prefix: durable.prefix, encryptionKey: durable.encryptionKey });
      const reloaded = await Promise.all(acknowledged.map((op) => reader.store.load(op.id)));
      expect(reloaded.filter((record) => record === null)).toHaveLength(0);
      await new Promise((r) => setImmediate(r));
      expect(unhandled.rejections).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});
