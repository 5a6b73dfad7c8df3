import { AesGcmSessionCipher, InMemorySessionStore, ValkeySessionStore } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';
import { describeSessionStoreConformance, REAL_TIME_UNIT_MS } from './session-store.conformance';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describeSessionStoreConformance('InMemorySessionStore', async () => {
  const clock = new ManualClock();
  return {
    store: new InMemorySessionStore({ clock, cipher: new AesGcmSessionCipher(randomKey()) }),
    elapse: async (ms) => clock.advance(ms),
    shortTtlMs: 100,
    close: async () => undefined,
  };
});

describeSessionStoreConformance('ValkeySessionStore (real valkey-server)', async () => {
  const client = testClient();
  return {
    store: new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix() }),
    elapse: sleep,
    shortTtlMs: REAL_TIME_UNIT_MS,
    close: async () => void (await client.quit()),
  };
});
