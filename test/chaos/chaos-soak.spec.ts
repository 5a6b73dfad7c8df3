import { runSoak } from '../../chaos/soak';

// The chaos soak, short: a 3-primary Valkey Cluster with durable writes, four sample instances
// (Express and Fastify, two with the local cache, one behind a partitionable proxy), concurrent
// devices, and faults from a fixed seed (at least two primary kills). Its checker must find no
// session beyond the cap, no answer carrying another user's identity and no failure that is not a
// typed 503. The revocation and acknowledged counts are in the summary, not asserted: they hinge
// on timing around failovers, and on a machine running the whole suite beside this a rare one
// would fail the suite at random and hide every other result (the runs in docs/chaos.md, 30
// minutes per topology among them, find none). Longer runs: `npm run chaos`.
describe('chaos soak on a Valkey Cluster with durable writes (2 minutes, seed 7)', () => {
  it("through primary kills, pauses, connection kills, a partition, a slot migration and an app restart: never beyond the cap, never another user's session, every failure a typed 503", async () => {
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
    const { cap, isolation, errors } = summary.violations;
    const violated = cap > 0 || isolation > 0 || errors > 0;
    expect({ cap, isolation, errors, examples: violated ? summary.examples : [] }).toEqual({
      cap: 0,
      isolation: 0,
      errors: 0,
      examples: [],
    });
  }, 360_000);
});
