import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'iovalkey';
import { TcpProxy } from '../../chaos/proxy';
import {
  AxessSessionModule,
  mintSessionId,
  SessionEndReason,
  SessionStoreError,
  ValkeySessionStore,
  type SessionRecord,
} from '../../src/internal';
import { cachedStack, eventually, keptOn, localCacheOf, type CachedStack } from '../harness/local-cache';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { withPrivateValkey } from '../harness/valkey-hooks';

const TTL = 10 * 60_000;
const MAX_STALENESS_MS = 300;
const record = (): SessionRecord => ({ data: { n: 1 }, createdAt: Date.now(), userId: 'u-1', authenticatedAt: Date.now() });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A silent partition (no FIN, no RST: bytes are held, as a network that drops them and TCP
 * retransmits later) between one instance and Valkey: the instance hears of no invalidation, and
 * no connection closes. Its copies must stop being served within `maxStalenessMs` of the last
 * confirmation, so a revocation made meanwhile through another instance is never served longer.
 */
describe('local cache: a silent partition stops the serving within maxStalenessMs', () => {
  const valkey = withPrivateValkey({ scope: 'each' });
  const prefix = 'part';
  let proxy: TcpProxy;
  let partitioned: CachedStack;
  let other: ValkeySessionStore;

  beforeEach(async () => {
    const encryptionKey = randomKey();
    proxy = new TcpProxy(valkey.server.port);
    await proxy.start();
    // Longer than the maximum staleness: a failed heartbeat is not what stops the serving here.
    const client = new Redis({ host: '127.0.0.1', port: proxy.port, commandTimeout: 1_000, maxRetriesPerRequest: 0 });
    partitioned = await cachedStack(client, { prefix, encryptionKey, settings: { maxStalenessMs: MAX_STALENESS_MS } });
    other = new ValkeySessionStore(valkey.client, encryptionKey, { prefix });
  });
  afterEach(async () => {
    proxy.heal();
    await partitioned.close();
    await proxy.stop();
  });

  it('a session revoked through another instance during the partition is not served from the copy past maxStalenessMs, and is refused once the link heals', async () => {
    const id = mintSessionId();
    await other.save(id, record(), TTL);
    await keptOn(partitioned, id);

    proxy.partition();
    const cutAt = performance.now();
    await other.markGone([id], SessionEndReason.revoked, TTL);
    await sleep(Math.max(0, cutAt + MAX_STALENESS_MS + 1 - performance.now()));

    expect(partitioned.invalidations.coherent).toBe(false);
    // The read goes to Valkey, which does not answer: a typed failure, never the revoked session.
    await expect(partitioned.store.load(id)).rejects.toBeInstanceOf(SessionStoreError);

    proxy.heal();
    await eventually(
      'the revocation is seen',
      async () => (await partitioned.store.load(id).catch((error: unknown) => error)) === null,
      10_000,
    );
    expect(await partitioned.store.goneReason(id)).toBe(SessionEndReason.revoked);
  });

  it('once the link heals, the cache serves copies again', async () => {
    const id = mintSessionId();
    await other.save(id, record(), TTL);
    proxy.partition();
    await sleep(MAX_STALENESS_MS + 1);
    expect(partitioned.invalidations.coherent).toBe(false);
    proxy.heal();
    await partitioned.invalidations.whenCoherent();
    await keptOn(partitioned, id);
    expect(partitioned.store.holds(id)).toBe(true);
  });
});

describe('local cache: the module option maxStalenessMs bounds what a silently partitioned instance serves', () => {
  const valkey = withPrivateValkey();
  let proxy: TcpProxy;
  let app: INestApplicationContext;
  const prefix = uniquePrefix('part');
  const encryptionKey = randomKey();

  beforeAll(async () => {
    proxy = new TcpProxy(valkey.server.port);
    await proxy.start();
    const module = AxessSessionModule.forRoot({
      connection: { url: `redis://127.0.0.1:${proxy.port}` },
      mountMiddleware: false,
      commandTimeoutMs: 1_000,
      prefix,
      encryptionKey,
      signingKey: randomKey(),
      localCache: { maxStalenessMs: MAX_STALENESS_MS },
    });
    app = await (await Test.createTestingModule({ imports: [module] }).compile()).init();
  });
  afterAll(async () => {
    proxy.heal();
    await app?.close();
    await proxy.stop();
  });

  it('a session revoked elsewhere during the partition is refused (a typed failure) once maxStalenessMs has passed', async () => {
    const cache = await localCacheOf(app);
    const other = new ValkeySessionStore(valkey.client, encryptionKey, { prefix });
    const id = mintSessionId();
    await other.save(id, record(), TTL);
    await eventually('a copy is kept', async () => {
      await cache.load(id);
      return cache.holds(id);
    });

    proxy.partition();
    const cutAt = performance.now();
    await other.markGone([id], SessionEndReason.revoked, TTL);
    await sleep(Math.max(0, cutAt + MAX_STALENESS_MS + 1 - performance.now()));
    await expect(cache.load(id)).rejects.toBeInstanceOf(SessionStoreError);
  });
});
