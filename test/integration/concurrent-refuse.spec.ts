import type { Redis } from 'iovalkey';
import {
  AesGcmSessionCipher,
  InMemorySessionRegistry,
  InMemorySessionStore,
  ValkeySessionRegistry,
  ValkeySessionStore,
} from '../../src/internal';
import { runConcurrentLogins, usableSessions, type LoginBackend } from '../harness/concurrent-logins';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';
import { liveSessions } from '../harness/live-sessions';

const LOGINS = 30;
const CAP = 3;
const RUNS = 20;

interface Backends {
  backends: LoginBackend[];
  close(): Promise<void>;
}

function memoryBackends(): Backends {
  const store = new InMemorySessionStore({ cipher: new AesGcmSessionCipher(randomKey()) });
  return { backends: [{ store, registry: new InMemorySessionRegistry({ store }) }], close: async () => undefined };
}

/** Four connections, as four app instances would hold, on the suite's server under a fresh prefix. */
function valkeyBackends(): Backends {
  const prefix = uniquePrefix('refuse');
  const key = randomKey();
  const clients: Redis[] = Array.from({ length: 4 }, () => testClient());
  return {
    backends: clients.map((client) => {
      const store = new ValkeySessionStore(client, key, { prefix });
      return { store, registry: new ValkeySessionRegistry(client, { store, prefix }) };
    }),
    close: async () => void (await Promise.all(clients.map((c) => c.quit()))),
  };
}

describe.each([
  ['InMemorySessionRegistry', memoryBackends],
  ['ValkeySessionRegistry (real valkey-server)', valkeyBackends],
])("%s: concurrent sign-ins of one user with onLimit 'refuse'", (_name, make) => {
  let b: Backends;
  beforeAll(() => {
    b = make();
  });
  afterAll(async () => {
    await b?.close();
  });

  it(`from an empty registry, ${LOGINS} at once with cap ${CAP} admit exactly ${CAP} and refuse the rest, ${RUNS} runs`, async () => {
    const reader = b.backends[0];
    const figures: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const userId = `refuse-empty-${run}`;
      const outcome = await runConcurrentLogins({ backends: b.backends, userId, cap: CAP, logins: LOGINS, onLimit: 'refuse' });
      figures.push(`${outcome.loggedIn.length}/${outcome.refused.length}`);
      expect(outcome.loggedIn).toHaveLength(CAP);
      expect(outcome.refused).toHaveLength(LOGINS - CAP);
      expect(outcome.evicted).toEqual([]);
      // The admitted are exactly the registry's live members, all usable; no refused record remains.
      expect(new Set(await liveSessions(reader, userId))).toEqual(new Set(outcome.loggedIn));
      expect(new Set(await usableSessions(reader, userId, outcome.loggedIn))).toEqual(new Set(outcome.loggedIn));
      expect(await reader.store.existing(outcome.refused)).toEqual(new Set());
      expect(await reader.registry.members(userId)).toHaveLength(CAP);
    }
    // admitted/refused per run, for the record.
    process.stdout.write(`${_name}: N=${LOGINS} C=${CAP} admitted/refused per run: ${figures.join(' ')}\n`);
  });

  it(`with ${CAP} live sessions already, ${LOGINS} more at once are all refused and the originals stay usable, ${RUNS} runs`, async () => {
    const reader = b.backends[0];
    for (let run = 0; run < RUNS; run++) {
      const userId = `refuse-full-${run}`;
      const first = await runConcurrentLogins({ backends: b.backends, userId, cap: CAP, logins: CAP, onLimit: 'refuse' });
      expect(first.loggedIn).toHaveLength(CAP);
      const more = await runConcurrentLogins({ backends: b.backends, userId, cap: CAP, logins: LOGINS, onLimit: 'refuse' });
      expect(more.loggedIn).toEqual([]);
      expect(more.refused).toHaveLength(LOGINS);
      expect(more.evicted).toEqual([]);
      expect(new Set(await usableSessions(reader, userId, first.loggedIn))).toEqual(new Set(first.loggedIn));
      expect(new Set(await liveSessions(reader, userId))).toEqual(new Set(first.loggedIn));
      for (const id of first.loggedIn) expect(await reader.store.goneReason(id)).toBeUndefined();
    }
  });
});
