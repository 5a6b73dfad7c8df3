import { Redis } from 'iovalkey';
import {
  AesGcmSessionCipher,
  InMemorySessionRegistry,
  InMemorySessionStore,
  mintSessionId,
  ValkeySessionRegistry,
  ValkeySessionStore,
  type SessionRecord,
  type SessionRegistry,
  type SessionStore,
} from '../../src/internal';
import { ManualClock, startValkeyServer } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { liveSessions } from '../harness/live-sessions';

/** One app instance's view: a store and registry (Valkey: each on its own connection). */
interface Instance {
  store: SessionStore;
  registry: SessionRegistry;
}

/** A backend under test: several instances sharing one user set, plus how to read admission order. */
interface Backend {
  instances: Instance[];
  clock: ManualClock;
  /** Admitted session ids in the order the backend applied them, when it can be observed. */
  admissionOrder?: () => Promise<string[]>;
  startObserving?: () => void;
  close(): Promise<void>;
}

const CAP = 3;
const LOGINS = 50;
const ROUNDS = 20;
const DAY = 86_400_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const record = (): SessionRecord => ({ data: {}, createdAt: 1_900_000_000_000, userId: 'alice' });

async function memoryBackend(): Promise<Backend> {
  const clock = new ManualClock();
  const store = new InMemorySessionStore({ clock, cipher: new AesGcmSessionCipher(randomKey()) });
  return { instances: [{ store, registry: new InMemorySessionRegistry({ store, clock }) }], clock, close: async () => undefined };
}

/**
 * Five connections (as five app instances would hold) and a MONITOR connection that records script
 * order, on a private valkey-server: MONITOR on the shared one would also stream other workers'
 * commands, and one arriving in the same read as MONITOR's own reply trips the client's parser.
 */
async function valkeyBackend(): Promise<Backend> {
  const clock = new ManualClock();
  const prefix = uniquePrefix('conc');
  const key = randomKey();
  const server = await startValkeyServer();
  const clients: Redis[] = Array.from({ length: 5 }, () => new Redis(server.url));
  // Every connection ready (its ready check done) before MONITOR starts.
  await Promise.all(clients.map((client) => client.ping()));
  const instances = clients.map((client) => {
    const store = new ValkeySessionStore(client, key, { prefix });
    return { store, registry: new ValkeySessionRegistry(client, { store, clock, prefix }) };
  });
  const monitorHost = new Redis(server.url);
  await monitorHost.ping();
  const monitor = await monitorHost.monitor();
  let seen: string[] = [];
  const registryKey = `${prefix}:reg:alice`;
  monitor.on('monitor', (_time: number, args: string[]) => {
    const name = args[0]?.toLowerCase();
    // EVALSHA/EVAL sha-or-source numkeys key now cap lifetime id ...
    if ((name === 'evalsha' || name === 'eval') && args[3] === registryKey) seen.push(args[7]);
  });
  return {
    instances,
    clock,
    startObserving: () => (seen = []),
    admissionOrder: async () => {
      // A marker through the monitored server: once it shows up, every earlier command has too.
      const marker = `marker-${mintSessionId()}`;
      let onMarker!: (_t: number, args: string[]) => void;
      const arrived = new Promise<void>((resolve) => (onMarker = (_t, args) => args[1] === marker && resolve()));
      monitor.on('monitor', onMarker);
      await clients[0].echo(marker);
      await arrived;
      monitor.off('monitor', onMarker);
      // A NOSCRIPT retry shows an id twice; the successful run is the later one.
      return seen.filter((id, i) => seen.lastIndexOf(id) === i);
    },
    close: async () => {
      monitor.disconnect();
      monitorHost.disconnect();
      await Promise.all(clients.map((c) => c.quit()));
      await server.stop();
    },
  };
}

describe.each([
  ['InMemorySessionRegistry', memoryBackend],
  ['ValkeySessionRegistry (real valkey-server)', valkeyBackend],
])('%s: 50 concurrent logins of one user with cap 3 (I1)', (_name, makeBackend) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await makeBackend();
  });
  afterAll(async () => {
    await backend?.close();
  });

  it(`leaves exactly the ${CAP} newest admitted sessions usable, ${ROUNDS} rounds in a row`, async () => {
    const { instances, clock } = backend;
    const reader = instances[0];
    let survivors: string[] = [];
    const returnedAsVictim = new Map<string, number>();

    for (let round = 0; round < ROUNDS; round++) {
      const frozen = round % 2 === 0;
      const before = await reader.registry.members('alice');
      const topBefore = before.length > 0 ? before[before.length - 1].registeredAt : Number.NEGATIVE_INFINITY;
      const frozenAt = clock.nowMs();
      backend.startObserving?.();

      const minted = Array.from({ length: LOGINS }, () => mintSessionId());
      const victimLists = await Promise.all(
        minted.map(async (id, i) => {
          // Logins arrive spread over a few ms, so later ones read members that earlier ones added.
          await sleep(i % 5);
          const { registry } = instances[i % instances.length];
          // The record goes through another connection, sometimes late: on a Cluster the record
          // and the registry live on different nodes, so nothing orders the two writes.
          const { store } = instances[(i + 2) % instances.length];
          const written = sleep((i * 7) % 4).then(() => store.save(id, record(), DAY, { mode: 'create' }));
          if (!frozen) clock.advance(i % 3);
          return registry.admit('alice', id, CAP, { recordWritten: written });
        }),
      );

      const members = await reader.registry.members('alice');
      const memberIds = members.map((m) => m.sessionId);
      const everyone = [...survivors, ...minted];
      const live = await reader.store.existing(everyone);

      // Exactly CAP usable sessions, and they are the registry's members.
      expect(memberIds).toHaveLength(CAP);
      expect(live).toEqual(new Set(memberIds));
      expect(await liveSessions(reader, 'alice')).toEqual(memberIds);
      // The previous round's survivors were all pushed out by newer logins.
      for (const id of survivors) expect(live.has(id)).toBe(false);

      // Every session that lost its place was returned as a victim exactly once.
      for (const id of victimLists.flat()) if (id !== null) returnedAsVictim.set(id, (returnedAsVictim.get(id) ?? 0) + 1);
      for (const id of everyone) {
        expect(returnedAsVictim.get(id) ?? 0).toBe(live.has(id) ? 0 : 1);
      }

      // Scores are strictly increasing in admission order and all newer than last round's.
      const scores = members.map((m) => m.registeredAt);
      expect(scores[0]).toBeGreaterThan(topBefore);
      expect(scores[1]).toBeGreaterThan(scores[0]);
      expect(scores[2]).toBeGreaterThan(scores[1]);
      if (frozen) {
        // Frozen clock: the k-th admission of the round scores base + k, so the survivors
        // are provably admissions 48, 49 and 50 (the tie rule at work).
        const base = Math.max(frozenAt, topBefore + 1);
        expect(scores).toEqual([base + LOGINS - 3, base + LOGINS - 2, base + LOGINS - 1]);
      }
      if (backend.admissionOrder) {
        const order = await backend.admissionOrder();
        expect(order).toHaveLength(LOGINS);
        expect(new Set(order)).toEqual(new Set(minted));
        expect(memberIds).toEqual(order.slice(-CAP));
      }

      survivors = memberIds;
      clock.advance(1000);
    }
  });
});
