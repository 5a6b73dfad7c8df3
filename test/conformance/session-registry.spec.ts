import { Redis } from 'iovalkey';
import {
  AesGcmSessionCipher,
  InMemorySessionRegistry,
  InMemorySessionStore,
  ValkeySessionRegistry,
  ValkeySessionStore,
} from '../../src/internal';
import { ManualClock, startValkeyServer } from '../../src/testing';
import { randomKey, testClient } from '../harness/valkey';
import { describeSessionRegistryConformance, type BrokenRegistry } from './session-registry.conformance';
import { valkeyRegistryFixture } from './valkey-registry.fixture';

/** A client on a valkey-server that was started and stopped: every command fails at once. */
async function clientOfStoppedServer(): Promise<Redis> {
  const server = await startValkeyServer();
  await server.stop();
  const client = new Redis(server.port, '127.0.0.1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  return client;
}

describeSessionRegistryConformance(
  'InMemorySessionRegistry',
  async (options = {}) => {
    const clock = new ManualClock();
    const store = new InMemorySessionStore({ clock, cipher: new AesGcmSessionCipher(randomKey()) });
    return {
      registry: new InMemorySessionRegistry({ store, clock, ...options }),
      store,
      clock,
      elapse: async (ms) => clock.advance(ms),
      close: async () => undefined,
    };
  },
  async (): Promise<BrokenRegistry> => {
    const client = await clientOfStoppedServer();
    const registry = new InMemorySessionRegistry({ store: new ValkeySessionStore(client, randomKey()), clock: new ManualClock() });
    return { registry, seed: (userId, id) => registry.register(userId, id), close: async () => client.disconnect() };
  },
);

describeSessionRegistryConformance(
  'ValkeySessionRegistry (real valkey-server)',
  async (options = {}) => {
    const client = testClient();
    try {
      return valkeyRegistryFixture(client, options, async () => void (await client.quit()));
    } catch (error) {
      client.disconnect();
      throw error;
    }
  },
  async (): Promise<BrokenRegistry> => {
    const client = await clientOfStoppedServer();
    const store = new ValkeySessionStore(client, randomKey());
    return {
      registry: new ValkeySessionRegistry(client, { store, clock: new ManualClock() }),
      seed: async () => undefined,
      close: async () => client.disconnect(),
    };
  },
);
