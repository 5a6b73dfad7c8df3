/**
 * Polls `check` until it returns a truthy value and resolves with it; rejects naming `what` after
 * `timeoutMs`. The limit only keeps a broken test from hanging: tests assert what happened, not how fast.
 */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The ids of the clients whose name is `name` (`CLIENT LIST`), on a connection that can run it. */
export async function clientIdsNamed(admin: { call(...args: string[]): Promise<unknown> }, name: string): Promise<string[]> {
  const list = String(await admin.call('CLIENT', 'LIST'));
  return list
    .split('\n')
    .filter((line) => line.split(' ').includes(`name=${name}`))
    .map((line) => /(?:^| )id=(\d+)/.exec(line)![1]);
}
