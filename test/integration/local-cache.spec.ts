import { Redis } from 'iovalkey';
import { mintSessionId, SessionLifetime, ValkeyInvalidations, ValkeySessionStore, type SessionRecord } from '../../src/internal';
import { CommandLog } from '../harness/command-log';
import { cachedStack, eventually, invalidationConnectionIds, keptOn, settle, type CachedStack } from '../harness/local-cache';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';
import { withPrivateValkey } from '../harness/valkey-hooks';

/**
 * The local cache on a real Valkey, two "instances" (each its own client, tracking and cache) on
 * one server and key prefix, as two app processes behind a load balancer.
 */

const TTL = 10 * 60_000;
const record = (data: Record<string, unknown> = { n: 1 }, userId = 'u-1'): SessionRecord => ({
  data,
  createdAt: Date.now(),
  userId,
  authenticatedAt: Date.now(),
});
/** Commands the cache's upkeep sends on the data connection (the heartbeat's CLIENT TRACKINGINFO) are not the request's. */
const requestCommands = (log: CommandLog) => log.commands.filter((c) => c !== 'client');

describe('local cache on one Valkey server, two instances', () => {
  let a: CachedStack;
  let b: CachedStack;
  let prefix: string;
  let encryptionKey: Buffer;

  beforeEach(async () => {
    prefix = uniquePrefix('cache');
    encryptionKey = randomKey();
    a = await cachedStack(testClient(), { prefix, encryptionKey });
    b = await cachedStack(testClient(), { prefix, encryptionKey });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('a hot session costs no command: the second load is served from the cache', async () => {
    const id = mintSessionId();
    await b.store.save(id, record({ cart: ['pen'] }), TTL);
    // B's write is announced to A too: let it arrive, or A's first read would (rightly) not keep what it read meanwhile.
    await settle();
    const log = new CommandLog(a.client as Redis);
    try {
      expect((await a.store.load(id, { refreshTtlMs: TTL }))!.data).toEqual({ cart: ['pen'] });
      expect(requestCommands(log)).toEqual(['get', 'pttl']);
      log.reset();
      for (let i = 0; i < 5; i++) expect((await a.store.load(id, { refreshTtlMs: TTL }))!.data).toEqual({ cart: ['pen'] });
      expect(requestCommands(log)).toEqual([]);
      expect(a.store.stats).toMatchObject({ hits: 5, misses: 1 });
    } finally {
      log.restore();
    }
  });

  it('a change written through the other instance invalidates the copy: the next load reads it', async () => {
    const id = mintSessionId();
    await a.store.save(id, record({ v: 1 }), TTL);
    await settle();
    expect((await b.store.load(id))!.data).toEqual({ v: 1 });
    expect(b.store.holds(id)).toBe(true);
    await a.store.save(id, record({ v: 2 }), TTL, { mode: 'update' });
    await settle();
    expect(b.store.holds(id)).toBe(false);
    expect((await b.store.load(id))!.data).toEqual({ v: 2 });
    expect(b.store.stats.invalidations).toBe(1);
  });

  it('a revocation (markGone) or a delete through the other instance: the copy goes, the load answers null', async () => {
    const [revoked, deleted] = [mintSessionId(), mintSessionId()];
    await a.store.save(revoked, record(), TTL);
    await a.store.save(deleted, record(), TTL);
    await settle();
    await b.store.load(revoked);
    await b.store.load(deleted);
    await a.store.markGone([revoked], 'revoked', 60_000);
    await a.store.delete(deleted);
    await settle();
    expect(await b.store.load(revoked)).toBeNull();
    expect(await b.store.load(deleted)).toBeNull();
    expect(await b.store.goneReason(revoked)).toBe('revoked');
  });

  it("a key Valkey expires (the session's TTL ran out) is invalidated on every instance holding it", async () => {
    const id = mintSessionId();
    await a.store.save(id, record(), 200);
    await settle();
    await b.store.load(id);
    expect([a.store.holds(id), b.store.holds(id)]).toEqual([true, true]);
    // Whatever notices the expiry first (Valkey's active cycle, or this lazy check), every tracker hears of it.
    await eventually('Valkey expired the key', async () => (await testClientExists(prefix, id)) === 0);
    await eventually('both copies were invalidated', () => !a.store.holds(id) && !b.store.holds(id));
    expect(await b.store.load(id)).toBeNull();
  });

  it('the writing instance keeps what it wrote, as a read would decode it, with no command to read it back', async () => {
    const id = mintSessionId();
    const written = record({ when: new Date(0), tags: new Set(['a']), nested: { list: [1, 2] } });
    await a.store.save(id, written, TTL);
    const log = new CommandLog(a.client as Redis);
    try {
      const seen = await a.store.load(id);
      expect(requestCommands(log)).toEqual([]);
      // What another instance decodes from Valkey is the same thing.
      expect(seen).toEqual(await b.store.load(id));
      expect(seen!.data.when).toEqual(new Date(0));
    } finally {
      log.restore();
    }
  });

  it('changes a caller makes in place to a loaded record reach neither the cache nor the next caller', async () => {
    const id = mintSessionId();
    await a.store.save(id, record({ cart: { items: ['pen'] } }), TTL);
    const first = (await a.store.load(id))!;
    (first.data.cart as { items: string[] }).items.push('leaked');
    first.data.extra = true;
    const second = (await a.store.load(id))!;
    expect(second.data).toEqual({ cart: { items: ['pen'] } });
    expect(second).not.toBe(first);
    expect(a.store.stats.hits).toBe(2);
  });

  it('the idle expiry slides at most once per touch interval, and not at all while fresh', async () => {
    let now = 1_000_000;
    const id = mintSessionId();
    const c = await cachedStack(testClient(), {
      prefix,
      encryptionKey,
      settings: { touchIntervalMs: 60_000 },
      now: () => now,
    });
    try {
      await c.store.save(id, record(), TTL);
      const log = new CommandLog(c.client as Redis);
      for (let i = 0; i < 3; i++) await c.store.load(id, { refreshTtlMs: TTL });
      expect(requestCommands(log)).toEqual([]);
      now += 60_001;
      await c.store.load(id, { refreshTtlMs: TTL });
      await c.store.load(id, { refreshTtlMs: TTL });
      expect(requestCommands(log)).toEqual(['pexpire']);
      log.restore();
      // The refresh reached Valkey; and the other instances' copies were invalidated by it.
      expect(await c.client.pttl(`${prefix}:sess:${id}`)).toBeGreaterThan(TTL - 5_000);
    } finally {
      await c.close();
    }
  });

  it("an anonymous session keeps its shorter idle timeout, and the middleware's shortening costs nothing once done", async () => {
    const lifetime = new SessionLifetime(TTL, 24 * 60 * 60_000, 60_000);
    const c = await cachedStack(testClient(), { prefix, encryptionKey: randomKey(), lifetime, settings: { touchIntervalMs: 3_000 } });
    try {
      const id = mintSessionId();
      await c.valkey.save(id, { data: { cart: [] }, createdAt: Date.now() }, TTL);
      const log = new CommandLog(c.client as Redis);
      // As the middleware does for an anonymous session: a load that slides, then the shortening.
      const loaded = (await c.store.load(id, { refreshTtlMs: TTL }))!;
      expect(await c.store.expire(id, lifetime.ttl(loaded, Date.now()))).toBe(true);
      expect(requestCommands(log)).toEqual(['get', 'pttl', 'pexpire']);
      expect(await c.client.pttl(`${prefix}:sess:${id}`)).toBeLessThanOrEqual(60_000);
      log.reset();
      // Again: served from the copy, and the shortening is already done.
      const again = (await c.store.load(id, { refreshTtlMs: TTL }))!;
      expect(await c.store.expire(id, lifetime.ttl(again, Date.now()))).toBe(true);
      expect(requestCommands(log)).toEqual([]);
      log.restore();
    } finally {
      await c.close();
    }
  });

  it('a copy is never served past the time to live Valkey was given, even before the expiry is announced', async () => {
    let now = 5_000_000;
    const c = await cachedStack(testClient(), { prefix, encryptionKey: randomKey(), now: () => now });
    try {
      const id = mintSessionId();
      await c.store.save(id, record(), 60_000);
      expect(c.store.holds(id)).toBe(true);
      now += 60_000;
      const log = new CommandLog(c.client as Redis);
      await c.store.load(id);
      // Not served from the copy: read through (Valkey still has it, on its own clock).
      expect(requestCommands(log)).toEqual(['get', 'pttl']);
      log.restore();
    } finally {
      await c.close();
    }
  });
});

describe('local cache: tracking set up once', () => {
  it('turns tracking on once when both connections come up, never off again while copies are served', async () => {
    const client = testClient();
    const sent: string[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, called on the client
    const original = client.sendCommand;
    client.sendCommand = (command: { name: string; args: unknown[] }, stream?: unknown) => {
      if (command.name.toLowerCase() === 'client' && String(command.args[0]).toLowerCase() === 'tracking')
        sent.push(String(command.args[1]));
      return original.call(client, command as never, stream as never);
    };
    const stack = await cachedStack(client, { prefix: uniquePrefix('once'), encryptionKey: randomKey() });
    try {
      // Let both connections' 'ready' handlers run to completion.
      for (let i = 0; i < 5; i++) await settle();
      await stack.client.ping();
      expect(sent).toEqual(['OFF', 'ON']);
    } finally {
      client.sendCommand = original;
      await stack.close();
    }
  });
});

describe('local cache: one per client', () => {
  it('a second cache on the same client is refused (its tracking would take over the redirect)', async () => {
    const client = testClient();
    const first = new ValkeyInvalidations(client, { keyPrefix: 'a:sess:' });
    const second = new ValkeyInvalidations(client, { keyPrefix: 'b:sess:' });
    try {
      first.start();
      expect(() => second.start()).toThrow(expect.objectContaining({ name: 'AxessOptionsError', option: 'localCache' }) as Error);
      await first.close();
      // Released on close: the client can carry a cache again.
      second.start();
    } finally {
      await first.close();
      await second.close();
      client.disconnect();
    }
  });
});

describe('local cache: fail safe when tracking is lost (private server)', () => {
  const valkey = withPrivateValkey({ scope: 'each' });
  let a: CachedStack;
  let b: CachedStack;
  const prefix = 'lc';
  let encryptionKey: Buffer;

  beforeEach(async () => {
    encryptionKey = randomKey();
    a = await cachedStack(new Redis(valkey.server.url), { prefix, encryptionKey });
    b = await cachedStack(new Redis(valkey.server.url), { prefix, encryptionKey });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('the invalidation connection killed (CLIENT KILL): flushed and bypassed at once, a change made meanwhile is read, caching resumes once tracking is back', async () => {
    const id = mintSessionId();
    await b.store.save(id, record({ v: 1 }), TTL);
    await keptOn(a, id);
    const before = await invalidationConnectionIds(valkey.client);
    expect(before).toHaveLength(2);
    // Kill A's subscriber: the one A's data connection redirects its tracking to.
    const aSub = String(((await (a.client as Redis).call('CLIENT', 'TRACKINGINFO')) as unknown[])[3]);
    expect(before).toContain(aSub);
    await valkey.client.call('CLIENT', 'KILL', 'ID', aSub);
    // Written on another connection while A's invalidations have nowhere to go.
    await new ValkeySessionStore(valkey.client, encryptionKey, { prefix }).save(id, record({ v: 2 }), TTL);
    await settle();
    expect(a.store.holds(id)).toBe(false);
    expect(a.store.coherent).toBe(false);
    expect((await a.store.load(id))!.data).toEqual({ v: 2 });
    expect(a.store.stats.bypassed).toBeGreaterThanOrEqual(1);
    // A new subscriber, tracking redirected to it, and copies are kept again.
    await a.invalidations.whenCoherent();
    expect(await invalidationConnectionIds(valkey.client)).not.toContain(aSub);
    await a.store.load(id);
    expect(a.store.holds(id)).toBe(true);
    await b.store.save(id, record({ v: 3 }), TTL, { mode: 'update' });
    await settle();
    expect((await a.store.load(id))!.data).toEqual({ v: 3 });
  });

  it('the tracked data connection killed: flushed and bypassed until tracking is on again on the new connection', async () => {
    const id = mintSessionId();
    await b.store.save(id, record({ v: 1 }), TTL);
    await keptOn(a, id);
    const dataId = String(await (a.client as Redis).call('CLIENT', 'ID'));
    await valkey.client.call('CLIENT', 'KILL', 'ID', dataId);
    await settle();
    expect(a.store.holds(id)).toBe(false);
    expect(a.store.coherent).toBe(false);
    await a.invalidations.whenCoherent();
    await a.store.load(id);
    expect(a.store.holds(id)).toBe(true);
    await b.store.save(id, record({ v: 2 }), TTL, { mode: 'update' });
    await settle();
    expect((await a.store.load(id))!.data).toEqual({ v: 2 });
  });

  it('FLUSHALL (a nil invalidation) flushes every copy', async () => {
    const ids = [mintSessionId(), mintSessionId()];
    for (const id of ids) await b.store.save(id, record(), TTL);
    for (const id of ids) await keptOn(a, id);
    await valkey.client.flushall();
    await settle();
    for (const id of ids) expect(a.store.holds(id)).toBe(false);
    for (const id of ids) expect(await a.store.load(id)).toBeNull();
    expect(a.store.stats.flushes).toBeGreaterThanOrEqual(1);
  });

  it('tracking switched off behind its back (CLIENT TRACKING OFF on the connection): the heartbeat notices, flushes and sets it up again', async () => {
    const id = mintSessionId();
    await b.store.save(id, record(), TTL);
    await keptOn(a, id);
    await (a.client as Redis).call('CLIENT', 'TRACKING', 'OFF');
    await eventually('the heartbeat flushed the copy', () => !a.store.holds(id));
    await a.invalidations.whenCoherent();
    const info = (await (a.client as Redis).call('CLIENT', 'TRACKINGINFO')) as unknown[];
    expect(info[1]).toEqual(expect.arrayContaining(['on', 'bcast', 'noloop']));
  });
});

async function testClientExists(prefix: string, id: string): Promise<number> {
  const client = testClient();
  try {
    return await client.exists(`${prefix}:sess:${id}`);
  } finally {
    client.disconnect();
  }
}
