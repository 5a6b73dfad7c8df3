import { ValkeySessionRegistry, ValkeySessionStore, type ValkeyClient } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';
import type { RegistryFixture, RegistryFixtureOptions } from './session-registry.conformance';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A ValkeySessionRegistry and its store on `client` under a fresh prefix (generated ids repeat
 * across tests). `elapse` jumps the clock and really waits, so that Valkey expires keys too.
 */
export function valkeyRegistryFixture(client: ValkeyClient, options: RegistryFixtureOptions, close: () => Promise<void>): RegistryFixture {
  const prefix = uniquePrefix();
  const clock = new ManualClock();
  const store = new ValkeySessionStore(client, randomKey(), { prefix });
  return {
    registry: new ValkeySessionRegistry(client, { store, clock, prefix, ...options }),
    store,
    clock,
    elapse: async (ms) => {
      clock.advance(ms);
      await sleep(ms);
    },
    close,
  };
}
