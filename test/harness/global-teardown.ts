/** Stops the suite's valkey-server; jest runs this whether tests passed or failed. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__AXESS_VALKEY__?.stop();
}
