import { startValkeySentinelGroup, type ValkeyTestSentinelGroup } from '../../src/testing';
import { describeSampleE2e } from '../harness/sample-e2e.flow';

let group: ValkeyTestSentinelGroup;

beforeAll(async () => {
  group = await startValkeySentinelGroup();
}, 60_000);

afterAll(async () => {
  await group?.stop();
});

// The sample's e2e flow as on one server, with the module asking the sentinels for the primary.
describeSampleE2e(
  'sample app on %s with the %s backend behind Sentinel',
  [
    ['express', 'valkey'],
    ['fastify', 'valkey'],
  ],
  () => ({ sentinels: group.sentinels.map(({ host, port }) => ({ host, port })), name: group.name }),
);

// And again with the local session cache on (tracking on every node the client connects to).
describeSampleE2e(
  'sample app on %s with the %s backend behind Sentinel',
  [
    ['express', 'valkey'],
    ['fastify', 'valkey'],
  ],
  () => ({ sentinels: group.sentinels.map(({ host, port }) => ({ host, port })), name: group.name }),
  { localCache: true },
);
