/**
 * Expiry tests on real time (Valkey's PX) have steps that must land before an expiry. A stalled
 * machine (a loaded CI runner, a replica slow to acknowledge a WAIT) can make such a step land
 * after it, which says nothing about the code under test. `untilConclusive` runs a scenario
 * again, with fresh ids, when one of its deadlines was overrun; every conclusive try's
 * expectations are asserted as usual, so a missing feature still fails.
 */
export const INCONCLUSIVE = Symbol('inconclusive: a step overran its deadline');

/** Whether less than `ms` of real time has passed since `startedAt` (a `performance.now()`). */
export type Within = (startedAt: number, ms: number) => boolean;

const within: Within = (startedAt, ms) => performance.now() - startedAt < ms;

export async function untilConclusive(scenario: (within: Within) => Promise<void | typeof INCONCLUSIVE>, tries = 5): Promise<void> {
  for (let i = 0; i < tries; i++) if ((await scenario(within)) !== INCONCLUSIVE) return;
  throw new Error(`${tries} tries in a row overran their deadlines: the machine stalls longer than the scenario's slack`);
}
