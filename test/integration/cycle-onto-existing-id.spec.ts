import type { Redis } from 'iovalkey';
import {
  AesGcmSessionCipher,
  InMemorySessionStore,
  mintSessionId,
  ValkeySessionStore,
  type SessionRecord,
  type SessionStore,
} from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

const record = (who: string): SessionRecord => ({ data: { who }, createdAt: 1_900_000_000_000 });

interface Fixture {
  store: SessionStore;
  close(): Promise<void>;
}

/**
 * `cycle` onto an id that already has a record: both backends refuse to overwrite it and both
 * drop the old id (Valkey sends SET NX and DEL together in one round trip), so they agree (I7).
 */
describe.each<[string, () => Promise<Fixture>]>([
  [
    'InMemorySessionStore',
    async () => ({
      store: new InMemorySessionStore({ clock: new ManualClock(), cipher: new AesGcmSessionCipher(randomKey()) }),
      close: async () => undefined,
    }),
  ],
  [
    'ValkeySessionStore (real valkey-server)',
    async () => {
      const client: Redis = testClient();
      return {
        store: new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix('cyc') }),
        close: async () => void (await client.quit()),
      };
    },
  ],
])('%s: cycle onto an existing id', (_backend, make) => {
  let fixture: Fixture;
  beforeEach(async () => {
    fixture = await make();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('fails with kind command, keeps the existing record, and drops the old id', async () => {
    const { store } = fixture;
    const [oldId, taken] = [mintSessionId(), mintSessionId()];
    await store.save(oldId, record('old'), 60_000);
    await store.save(taken, record('victim'), 60_000);

    await expect(store.cycle(oldId, taken, record('attacker'), 60_000)).rejects.toMatchObject({
      name: 'SessionStoreError',
      kind: 'command',
    });
    expect((await store.load(taken))?.data).toEqual({ who: 'victim' });
    expect(await store.load(oldId)).toBeNull();
  });

  it('cycling an id onto itself fails and leaves no session under it', async () => {
    const { store } = fixture;
    const id = mintSessionId();
    await store.save(id, record('self'), 60_000);
    await expect(store.cycle(id, id, record('self-2'), 60_000)).rejects.toMatchObject({ kind: 'command' });
    expect(await store.load(id)).toBeNull();
  });

  it('a record over the cap fails before anything changes: the old id stays', async () => {
    const { store } = fixture;
    const [oldId, newId] = [mintSessionId(), mintSessionId()];
    await store.save(oldId, record('old'), 60_000);
    await expect(store.cycle(oldId, newId, record('x'.repeat(70_000)), 60_000)).rejects.toMatchObject({ kind: 'payload-too-large' });
    expect((await store.load(oldId))?.data).toEqual({ who: 'old' });
    expect(await store.load(newId)).toBeNull();
  });
});
