import type { INestApplicationContext } from '@nestjs/common';
import type { Redis } from 'iovalkey';
import {
  CachingSessionStore,
  INVALIDATION_CONNECTION_NAME,
  SessionBackend,
  SessionLifetime,
  SessionStore,
  ValkeyInvalidations,
  ValkeySessionStore,
  type Clock,
  type LocalCacheSettings,
  type ValkeyClient,
  SystemClock,
} from '../../src/internal';

/** A Valkey store with the local cache on top, as the module stacks them, on its own client. */
export interface CachedStack {
  client: ValkeyClient;
  valkey: ValkeySessionStore;
  invalidations: ValkeyInvalidations;
  store: CachingSessionStore;
  close(): Promise<void>;
}

/** Options of {@link cachedStack}. */
export interface CachedStackOptions {
  prefix: string;
  encryptionKey: Buffer;
  lifetime?: SessionLifetime;
  clock?: Clock;
  settings?: Partial<LocalCacheSettings>;
  /** Monotonic ms of the cache's expiry estimates (the coherence keeps real time). */
  now?: () => number;
}

/**
 * Builds and starts a cached store on `client` (which the stack quits on close), and waits until
 * tracking is confirmed: a test that ran while the cache was bypassed would prove nothing.
 */
export async function cachedStack(client: ValkeyClient, options: CachedStackOptions): Promise<CachedStack> {
  const valkey = new ValkeySessionStore(client, options.encryptionKey, { prefix: options.prefix });
  const invalidations = new ValkeyInvalidations(client, {
    keyPrefix: valkey.keys.sessionPrefix,
    ...(options.settings?.maxStalenessMs === undefined ? {} : { maxStalenessMs: options.settings.maxStalenessMs }),
  });
  const store = new CachingSessionStore(
    valkey,
    invalidations,
    options.lifetime ?? new SessionLifetime(10 * 60_000, 24 * 60 * 60_000),
    options.clock ?? new SystemClock(),
    { maxEntries: 1_000, maxBytes: 1 << 20, touchIntervalMs: 30_000, ...options.settings },
    { now: options.now },
  );
  // A Cluster client first meets its seed nodes, then the topology's: nodes leaving the client
  // flush the cache. Start once the client is ready, so that a test's first copy is not flushed by that.
  if (client.isCluster && client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  invalidations.start();
  await invalidations.whenCoherent();
  return {
    client,
    valkey,
    invalidations,
    store,
    close: async () => {
      await invalidations.close();
      client.disconnect();
    },
  };
}

/** The local cache of a module instance, once its tracking is confirmed; fails when the module runs without one. */
export async function localCacheOf(app: INestApplicationContext): Promise<CachingSessionStore> {
  const store = app.get(SessionStore);
  if (!(store instanceof CachingSessionStore)) throw new Error('This app runs without a local cache.');
  await app.get(SessionBackend).invalidations!.whenCoherent();
  return store;
}

/** Waits for the local cache when the app has one (a no-op otherwise). */
export async function whenLocalCacheReady(app: INestApplicationContext): Promise<void> {
  if (app.get(SessionStore) instanceof CachingSessionStore) await localCacheOf(app);
}

/** Ids of the invalidation subscribers connected to the server `admin` talks to. */
export async function invalidationConnectionIds(admin: Redis): Promise<string[]> {
  const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${INVALIDATION_CONNECTION_NAME} `))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)![1]);
}

/** Lets the current event-loop turn finish: on loopback, messages the server sent before a reply are then read too. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Polls `check` (every 5 ms) until it is true; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Reads `id` through `stack` until it keeps a copy: a read that overlaps the invalidation of a
 * write just made elsewhere is rightly not kept, and a heartbeat late on a loaded machine
 * bypasses the cache for a moment.
 */
export async function keptOn(stack: CachedStack, id: string): Promise<void> {
  await eventually(`a copy of ${id} is kept`, async () => {
    await stack.store.load(id);
    return stack.store.holds(id);
  });
}
