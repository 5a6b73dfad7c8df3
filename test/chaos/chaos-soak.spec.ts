import { runSoak } from '../../chaos/soak';

// The chaos soak, short: a 3-primary Valkey Cluster with durable writes, four sample instances
// (Express and Fastify, two with the local cache, one behind a partitionable proxy), concurrent
// devices, and faults from a fixed seed (at least two primary kills). Its checker must find no
// violation of any guarantee: the cap, revocation (beyond the local cache's stated staleness
// bound), acknowledged sign-ins and writes, isolation, and typed failures. Longer runs and the
// Sentinel topology: `npm run chaos`.
describe('chaos soak on a Valkey Cluster with durable writes (2 minutes, seed 7)', () => {
  it('through primary kills, pauses, connection kills, a partition, a slot migration and an app restart: no violation of any guarantee', async () => {
    const { summary } = await runSoak({
      topology: 'cluster',
      minutes: 2,
      seed: 7,
      durable: true,
      // Lighter than the CLI's default workload: this runs beside the rest of the suite.
      workload: { devicesPerUser: 3, thinkMs: [50, 300] },
    });
    expect(summary.faults['primary-kill']).toBeGreaterThanOrEqual(2);
    expect(summary.faultsFailed).toBe(0);
    expect(summary.outcomes.ok).toBeGreaterThan(1000);
    expect(Object.keys(summary.violations).sort()).toEqual(['acknowledged', 'cap', 'errors', 'isolation', 'revocation']);
    // The examples name the operations involved when something is violated.
    const violated = Object.values(summary.violations).some((n) => n > 0);
    expect({ violations: summary.violations, examples: violated ? summary.examples : [] }).toEqual({
      violations: { cap: 0, revocation: 0, acknowledged: 0, isolation: 0, errors: 0 },
      examples: [],
    });
  }, 360_000);
});
