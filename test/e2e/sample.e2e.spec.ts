import { type AdapterName } from '../harness/http-app';
import { describeSampleE2e } from '../harness/sample-e2e.flow';

const MATRIX: Array<[AdapterName, 'valkey' | 'memory']> = [
  ['express', 'valkey'],
  ['fastify', 'valkey'],
  ['express', 'memory'],
  ['fastify', 'memory'],
];

// The suite's single valkey-server; test/cluster runs the same flow on a Cluster and on Sentinel,
// and sample-hardening covers /health when the sample's own valkey-server stops.
describeSampleE2e('sample app on %s with the %s backend', MATRIX, () => ({ url: process.env.AXESS_TEST_VALKEY_URL }));
// And with the local session cache on (AXESS_LOCAL_CACHE=1), on Valkey.
describeSampleE2e(
  'sample app on %s with the %s backend',
  MATRIX.filter(([, backend]) => backend === 'valkey'),
  () => ({ url: process.env.AXESS_TEST_VALKEY_URL }),
  { localCache: true },
);
