import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AxessSessionModule,
  AxessSessionService,
  mintSessionId,
  SessionEndReason,
  SessionRegistry,
  SessionStore,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { startValkeySentinelGroup, type ValkeyTestSentinelGroup } from '../../src/testing';
import { adminCommand } from '../../src/testing/valkey-admin';
import { randomKey, uniquePrefix } from '../harness/valkey';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Revocations and evictions with durableWrites: they resolve only once the replica has them, so
// a crash of the primary right after cannot bring the sessions back.
describe('Sentinel: durable revocation and eviction survive a failover', () => {
  let group: ValkeyTestSentinelGroup;
  const apps: INestApplicationContext[] = [];
  const shared = { prefix: uniquePrefix('durable'), encryptionKey: randomKey(), signingKey: randomKey() };

  const boot = async (options: Partial<AxessSessionModuleOptions> = {}) => {
    const module = AxessSessionModule.forRoot({
      connection: { sentinels: group.sentinels.map(({ host, port }) => ({ host, port })), name: group.name },
      mountMiddleware: false,
      commandTimeoutMs: 5_000,
      ...shared,
      ...options,
    });
    const app = await (await Test.createTestingModule({ imports: [module] }).compile()).init();
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    group = await startValkeySentinelGroup();
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.close()));
    await group?.stop();
  });

  const signIn = async (app: INestApplicationContext, user: string, count: number): Promise<string[]> => {
    const ids = Array.from({ length: count }, () => mintSessionId());
    for (const id of ids) {
      await app.get(SessionStore).save(id, { data: {}, createdAt: Date.now(), userId: user }, 600_000);
      await app.get(SessionRegistry).register(user, id);
    }
    return ids;
  };

  it('a revocation and an eviction wait for the frozen replica, fail typed when it stays frozen, and survive SIGKILL of the primary', async () => {
    const durable = await boot({ durableWrites: { replicas: 1, timeoutMs: 2_000 } });
    const service = durable.get(AxessSessionService);
    const registry = durable.get(SessionRegistry);
    const revokedUser = `r-${mintSessionId().slice(0, 6)}`;
    const evictedUser = `e-${mintSessionId().slice(0, 6)}`;
    const revoked = await signIn(durable, revokedUser, 3);
    const [victim, ...kept] = await signIn(durable, evictedUser, 2);
    const replica = group.servers[1].port;
    const newcomer = mintSessionId();
    await durable.get(SessionStore).save(newcomer, { data: {}, createdAt: Date.now(), userId: evictedUser }, 600_000);

    // Frozen replica: nothing is acknowledged, so neither call may resolve yet.
    group.pause(replica);
    let settled = false;
    const revocation = service.revokeAll(revokedUser).finally(() => (settled = true));
    const eviction = registry.admit(evictedUser, newcomer, 2, { evictionMarker: { reason: SessionEndReason.evicted, ttlMs: 600_000 } });
    eviction.catch(() => undefined);
    await sleep(500);
    expect(settled).toBe(false);
    group.resume(replica);
    expect((await revocation).sort()).toEqual([...revoked].sort());
    expect(await eviction).toEqual([victim]);

    // A replica frozen for longer than timeoutMs: the revocation fails typed (503 with the cause).
    const other = `o-${mintSessionId().slice(0, 6)}`;
    const [lone] = await signIn(durable, other, 1);
    group.pause(replica);
    try {
      await expect(service.revokeSession(other, lone)).rejects.toMatchObject({
        status: 503,
        cause: expect.objectContaining({ name: 'SessionStoreError', kind: 'replication' }),
      });
    } finally {
      group.resume(replica);
    }

    // The primary crashes at once; the replica that acknowledged is promoted.
    const killed = await group.killPrimary();
    await group.waitForFailover(killed);
    const reader = (await boot()).get(SessionStore);
    expect((await reader.existing([...revoked, victim])).size).toBe(0);
    for (const id of revoked) expect(await reader.goneReason(id)).toBe(SessionEndReason.revoked);
    expect(await reader.goneReason(victim)).toBe(SessionEndReason.evicted);
    expect((await reader.existing([...kept, newcomer])).size).toBe(2);
  }, 60_000);
});

// What the option prevents, made deterministic: the replica is frozen and its link cut, so the
// revocation the primary alone acknowledged never reaches it; the promoted replica brings it back.
describe('Sentinel: without durableWrites a revocation acknowledged by the primary alone can be lost', () => {
  let group: ValkeyTestSentinelGroup;
  let app: INestApplicationContext | undefined;
  let reader: INestApplicationContext | undefined;
  const shared = { prefix: uniquePrefix('lost'), encryptionKey: randomKey(), signingKey: randomKey(), mountMiddleware: false };

  beforeAll(async () => {
    group = await startValkeySentinelGroup();
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([app?.close(), reader?.close()]);
    await group?.stop();
  });

  it('the revoked session is back on the promoted replica', async () => {
    const connection = { sentinels: group.sentinels.map(({ host, port }) => ({ host, port })), name: group.name };
    app = await (await Test.createTestingModule({ imports: [AxessSessionModule.forRoot({ connection, ...shared })] }).compile()).init();
    const user = `l-${mintSessionId().slice(0, 6)}`;
    const id = mintSessionId();
    await app.get(SessionStore).save(id, { data: {}, createdAt: Date.now(), userId: user }, 600_000);
    await app.get(SessionRegistry).register(user, id);
    const [primary, replica] = group.servers.map((s) => s.port);
    await waitForReplicaOffset(primary, replica);

    group.pause(replica);
    await adminCommand(primary, 'CLIENT', 'KILL', 'TYPE', 'replica');
    expect(await app.get(AxessSessionService).revokeSession(user, id)).toBe(true);
    const killed = await group.killPrimary();
    group.resume(replica);
    await group.waitForFailover(killed);

    reader = await (await Test.createTestingModule({ imports: [AxessSessionModule.forRoot({ connection, ...shared })] }).compile()).init();
    expect(await reader.get(SessionStore).existing([id])).toEqual(new Set([id]));
    expect(await reader.get(SessionStore).goneReason(id)).toBeUndefined();
  }, 60_000);
});

/** Resolves once the replica has received everything the primary had written when called. */
async function waitForReplicaOffset(primary: number, replica: number): Promise<void> {
  const offset = async (port: number, field: string) =>
    Number(new RegExp(`\\b${field}:(\\d+)`).exec(String(await adminCommand(port, 'INFO', 'replication')))?.[1] ?? -1);
  const written = await offset(primary, 'master_repl_offset');
  while ((await offset(replica, 'slave_repl_offset')) < written) await sleep(20);
}
