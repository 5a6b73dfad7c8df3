/**
 * The seed of every property in this folder: fixed, so a failure reproduces on the next run.
 * Set AXESS_PROPERTY_SEED to explore other inputs; fast-check prints the seed and path of any
 * counterexample it finds.
 */
export const PROPERTY_SEED: number = process.env.AXESS_PROPERTY_SEED ? Number(process.env.AXESS_PROPERTY_SEED) : 0x5e55_10;
