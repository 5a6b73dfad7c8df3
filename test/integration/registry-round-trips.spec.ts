import { Redis } from 'iovalkey';
import { AesGcmSessionCipher, mintSessionId, ValkeySessionRegistry, ValkeySessionStore, type SessionRecord } from '../../src/internal';
import { ManualClock, startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';

type Command = Parameters<Redis['sendCommand']>[0];

/** A command as the client sent it, and how many replies had arrived by then. */
interface Sent {
  name: string;
  args: string[];
  repliesBefore: number;
}

/**
 * Records every command the client sends. Commands sent before any new reply arrived travel
 * together, so the number of distinct `repliesBefore` values is the number of round trips.
 */
function recordCommands(client: Redis): { sent: Sent[]; roundTrips(): number; clear(): void } {
  const sent: Sent[] = [];
  let replies = 0;
  const original = client.sendCommand.bind(client);
  client.sendCommand = (command: Command, ...rest: unknown[]) => {
    sent.push({ name: command.name.toLowerCase(), args: command.args.map(String), repliesBefore: replies });
    const count = () => void replies++;
    command.promise?.then(count, count);
    return (original as (...a: unknown[]) => unknown)(command, ...rest);
  };
  return {
    sent,
    roundTrips: () => new Set(sent.map((s) => s.repliesBefore)).size,
    clear: () => void sent.splice(0),
  };
}

/** Commands the server ran, in order, with `lua` as the source of those run inside a script. */
async function monitorServer(
  url: string,
): Promise<{ events: Array<{ source: string; args: string[] }>; settle(): Promise<void>; close(): void }> {
  const host = new Redis(url);
  const monitor = await host.monitor();
  const events: Array<{ source: string; args: string[] }> = [];
  monitor.on('monitor', (_time: number, args: string[], source: string) => events.push({ source, args }));
  const probe = new Redis(url);
  return {
    events,
    // Once a marker sent afterwards shows up, every earlier command has been reported.
    settle: async () => {
      const marker = `marker-${mintSessionId()}`;
      await probe.echo(marker);
      while (!events.some((e) => e.args[1] === marker)) await new Promise((r) => setTimeout(r, 5));
    },
    close: () => {
      monitor.disconnect();
      host.disconnect();
      probe.disconnect();
    },
  };
}

const DAY = 86_400_000;
const record = (): SessionRecord => ({ data: {}, createdAt: 1_900_000_000_000 });

describe('ValkeySessionRegistry round trips and key discipline (private valkey-server)', () => {
  let server: ValkeyTestServer;
  let client: Redis;
  let recorder: ReturnType<typeof recordCommands>;
  let prefix: string;
  let store: ValkeySessionStore;
  let registry: ValkeySessionRegistry;
  let clock: ManualClock;

  beforeAll(async () => {
    server = await startValkeyServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    client = new Redis(server.url);
    await client.ping();
    recorder = recordCommands(client);
    prefix = uniquePrefix('rt');
    clock = new ManualClock();
    store = new ValkeySessionStore(client, new AesGcmSessionCipher(randomKey()), { prefix });
    registry = new ValkeySessionRegistry(client, { store, clock, prefix });
  });
  afterEach(async () => {
    await client.quit();
  });

  /** Gives `user` `count` members with records, `dead` of which then lose their record. */
  async function seed(user: string, count: number, dead: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => mintSessionId());
    for (const id of ids) {
      await store.save(id, record(), DAY);
      await registry.register(user, id);
      clock.advance(1);
    }
    if (dead > 0) await store.delete(...ids.slice(0, dead));
    return ids;
  }

  it.each([
    { members: 1, dead: 0, cap: 1, victims: 1 },
    { members: 40, dead: 0, cap: 3, victims: 38 },
    { members: 40, dead: 10, cap: 5, victims: 26 },
  ])(
    'a login (record write + admission) with $members members ($dead dead) is one round trip: the script checks, evicts and ends',
    async ({ members, dead, cap, victims }) => {
      const user = 'alice';
      const ids = await seed(user, members, dead);
      const anonymous = mintSessionId();
      await store.save(anonymous, record(), DAY);
      const monitor = await monitorServer(server.url);
      try {
        recorder.clear();
        const id = mintSessionId();
        const evicted = await registry.admit(user, id, cap, {
          recordWritten: store.save(id, record(), DAY, { mode: 'create' }),
          evictionMarker: { reason: 'evicted', ttlMs: 60_000 },
          retiring: anonymous,
        });
        const roundTrips = recorder.roundTrips();
        const sent = [...recorder.sent];
        await monitor.settle();

        expect(evicted).toEqual(ids.slice(dead, dead + victims));
        expect(await store.existing([...ids, id, anonymous])).toEqual(new Set([...ids.slice(dead + victims), id]));
        for (const victim of evicted ?? []) expect(await store.goneReason(victim)).toBe('evicted');
        expect(await store.goneReason(ids[0])).toBe(dead > 0 ? undefined : 'evicted');
        // The client sends the record's write and the script, together: nothing else.
        expect(sent.map((s) => s.name)).toEqual(['set', 'evalsha']);
        expect(roundTrips).toBe(1);

        const registryKey = `${prefix}:reg:${user}`;
        expect(sent[1].args[1]).toBe('1');
        expect(sent[1].args[2]).toBe(registryKey);
        // Inside the script the server touched the registry key and the records and markers of
        // this user's sessions (and the retired one), nothing else (I6 on one server).
        const start = monitor.events.findIndex((e) => e.args[0].toLowerCase() === 'evalsha' && e.args[3] === registryKey);
        expect(start).toBeGreaterThanOrEqual(0);
        const inner = [];
        for (const e of monitor.events.slice(start + 1)) {
          if (e.source !== 'lua') break;
          inner.push(e);
        }
        const own = new Set([registryKey, ...[...ids, id, anonymous].flatMap((x) => [`${prefix}:sess:${x}`, `${prefix}:gone:${x}`])]);
        for (const e of inner) {
          const keys =
            e.args[0].toLowerCase() === 'set' ||
            e.args[0].toLowerCase().startsWith('z') ||
            e.args[0].toLowerCase() === 'pttl' ||
            e.args[0].toLowerCase() === 'pexpire'
              ? [e.args[1]]
              : e.args.slice(1);
          for (const key of keys) expect(own.has(key)).toBe(true);
        }
        // All alive: one EXISTS over every member; some dead: then one for the new id and one per member.
        const exists = inner.filter((e) => e.args[0].toLowerCase() === 'exists');
        expect(exists).toHaveLength(dead === 0 ? 1 : 2 + members);
        expect(exists[0].args).toHaveLength(members + 2);
      } finally {
        monitor.close();
      }
    },
  );

  it("a sign-in at a cap of 3 that evicts one runs 8 commands on the server; a first sign-in sets the new set's expiry without reading it", async () => {
    const user = 'ivy';
    const key = `${prefix}:reg:${user}`;
    const signIn = async (): Promise<{ evicted: string[] | null; commands: string[] }> => {
      const monitor = await monitorServer(server.url);
      try {
        const id = mintSessionId();
        const evicted = await registry.admit(user, id, 3, {
          recordWritten: store.save(id, record(), DAY, { mode: 'create' }),
          evictionMarker: { reason: 'evicted', ttlMs: 60_000 },
          retiring: mintSessionId(),
        });
        await monitor.settle();
        // This client's commands and those its script ran (not the monitor's own probe).
        const own = `127.0.0.1:${(client.stream as { localPort?: number }).localPort}`;
        const commands = monitor.events.filter((e) => e.source === own || e.source === 'lua').map((e) => e.args[0].toLowerCase());
        return { evicted, commands };
      } finally {
        monitor.close();
      }
    };

    const first = await signIn();
    expect(first.evicted).toEqual([]);
    expect(first.commands).toContain('pexpire');
    expect(first.commands).not.toContain('pttl');
    expect(await client.pttl(key)).toBeGreaterThan(0);
    clock.advance(1);
    await signIn();
    clock.advance(1);
    await signIn();
    clock.advance(1);

    const fourth = await signIn();
    expect(fourth.evicted).toHaveLength(1);
    // The record's SET NX and the script; inside it: ZRANGE, EXISTS, ZADD, ZREM, the marker's SET, DEL.
    expect(fourth.commands.sort()).toEqual(['del', 'evalsha', 'exists', 'set', 'set', 'zadd', 'zrange', 'zrem']);
  });

  it('a login whose record is not written yet when the script runs is admitted once the write settles', async () => {
    await seed('gina', 2, 0);
    const id = mintSessionId();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The write reaches Valkey only after the script's first run, which finds no record and changes nothing.
    const written = gate.then(() => store.save(id, record(), DAY, { mode: 'create' }));
    const admitted = registry.admit('gina', id, 2, { recordWritten: written });
    await new Promise((r) => setTimeout(r, 50));
    expect((await registry.members('gina')).map((m) => m.sessionId)).not.toContain(id);
    release();
    expect(await admitted).toHaveLength(1);
    expect((await registry.members('gina')).map((m) => m.sessionId)).toContain(id);
  });

  it('register and isValid take one round trip, activeSessions and invalidateSession two, invalidateUser three (records before members)', async () => {
    const ids = await seed('bob', 5, 1);
    const measure = async (operation: () => Promise<unknown>): Promise<number> => {
      recorder.clear();
      await operation();
      return recorder.roundTrips();
    };
    const fresh = mintSessionId();
    await store.save(fresh, record(), DAY);
    expect(await measure(() => registry.register('bob', fresh))).toBe(1);
    expect(await measure(() => registry.isValid('bob', fresh))).toBe(1);
    expect(await measure(() => registry.activeSessions('bob'))).toBe(2);
    expect(await measure(() => registry.invalidateSession('bob', ids[2]))).toBe(2);
    expect(await measure(() => registry.invalidateUser('bob'))).toBe(3);
    expect(await registry.members('bob')).toEqual([]);
  });

  it('falls back to EVAL after the script cache is flushed, then uses EVALSHA again', async () => {
    await seed('carol', 2, 0);
    await client.script('FLUSH');
    recorder.clear();
    const a = mintSessionId();
    await store.save(a, record(), DAY);
    recorder.clear();
    expect(await registry.admit('carol', a, 2)).toHaveLength(1);
    expect(recorder.sent.filter((s) => s.name.startsWith('eval')).map((s) => s.name)).toEqual(['evalsha', 'eval']);

    recorder.clear();
    const b = mintSessionId();
    await store.save(b, record(), DAY);
    expect(await registry.admit('carol', b, 2)).toHaveLength(1);
    expect(recorder.sent.filter((s) => s.name.startsWith('eval')).map((s) => s.name)).toEqual(['evalsha']);
  });

  it('never modifies the client it is given (no defineCommand, no new methods)', async () => {
    const own = new Redis(server.url);
    try {
      await own.ping();
      const functionsBefore = Object.getOwnPropertyNames(own).filter(
        (k) => typeof (own as unknown as Record<string, unknown>)[k] === 'function',
      );
      const ownStore = new ValkeySessionStore(own, randomKey(), { prefix });
      const ownRegistry = new ValkeySessionRegistry(own, { store: ownStore, clock, prefix });
      const id = mintSessionId();
      await ownRegistry.admit('dave', id, 2, { recordWritten: ownStore.save(id, record(), DAY) });
      await ownRegistry.register('dave', mintSessionId());
      expect(Object.keys(own.scriptsSet)).toEqual([]);
      expect(own.addedBuiltinSet.size).toBe(0);
      const functionsAfter = Object.getOwnPropertyNames(own).filter(
        (k) => typeof (own as unknown as Record<string, unknown>)[k] === 'function',
      );
      expect(functionsAfter).toEqual(functionsBefore);
    } finally {
      await own.quit();
    }
  });

  it('gives the registry key a TTL of the lifetime after its newest member, only ever raising it', async () => {
    const lifetimeMs = 60_000;
    const short = new ValkeySessionRegistry(client, { store, clock, prefix, lifetimeMs });
    const key = `${prefix}:reg:erin`;
    // A set left without expiry (written by other code) gets one at its next login in a later expiry bucket.
    await client.zadd(key, clock.nowMs() - 5, mintSessionId());
    expect(await client.pttl(key)).toBe(-1);
    clock.advance(lifetimeMs / 100);
    await short.register('erin', mintSessionId());
    const first = await client.pttl(key);
    // The lifetime after the end of the newest member's bucket (a hundredth of the lifetime).
    expect(first).toBeGreaterThan(lifetimeMs - 5_000);
    expect(first).toBeLessThanOrEqual(lifetimeMs + (2 * lifetimeMs) / 100);
    // A longer expiry (e.g. set by an instance configured with a longer lifetime) is kept.
    await client.pexpire(key, 10 * lifetimeMs);
    clock.advance(lifetimeMs / 100);
    await short.register('erin', mintSessionId());
    expect(await client.pttl(key)).toBeGreaterThan(9 * lifetimeMs);
  });

  it('maps an error reply inside the script to SessionStoreError of kind command', async () => {
    await client.set(`${prefix}:reg:frank`, 'not a sorted set');
    await expect(registry.register('frank', mintSessionId())).rejects.toMatchObject({ name: 'SessionStoreError', kind: 'command' });
    await expect(registry.members('frank')).rejects.toMatchObject({ name: 'SessionStoreError', kind: 'command' });
  });
});
