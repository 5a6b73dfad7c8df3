import type { SessionRecord, SessionStore } from '../../src/internal';

/** What a backend gives the shared store suites. */
export interface StoreFixture {
  store: SessionStore;
  /** Lets `ms` of expiry time pass (a ManualClock jump, or a real wait for Valkey's PX). */
  elapse(ms: number): Promise<void>;
  /**
   * The time unit of the expiry tests: each step that must happen before an expiry has at least
   * this much slack (a try that overruns it is run again); on a manual clock any value works.
   */
  shortTtlMs: number;
  close(): Promise<void>;
}

export const record = (data: Record<string, unknown> = { cart: [1, 2, 3] }): SessionRecord => ({ data, createdAt: 1_900_000_000_000 });

/** A fresh fixture before each test of the enclosing `describe`, closed after it. */
export function eachFixture(makeFixture: () => Promise<StoreFixture>): () => StoreFixture {
  let f: StoreFixture | undefined;
  beforeEach(async () => {
    f = await makeFixture();
  });
  afterEach(async () => {
    await f?.close();
  });
  return () => f!;
}
