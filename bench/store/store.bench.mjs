// Store-level benchmark: every scenario against the same valkey-server, the same session, the
// same concurrencies. Rounds alternate forward and backward through the scenario list (ABBA),
// so that compared scenarios run next to each other and drift cancels out; ratios are taken
// within each round, then the median over rounds.
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { mintSessionId, ValkeyConnection } from '../../dist/esm/internal.js';
import { measure, median } from '../lib/measure.mjs';
import { axessScenarios } from './axess.scenario.mjs';
import { connectRedisScenarios } from './connect-redis.scenario.mjs';
import { idealScenarios } from './ideal.scenario.mjs';
import { rawScenarios } from './raw.scenario.mjs';

/** Keys each load/save scenario cycles through. */
const POOL = 1000;

/** A logger that drops everything (the plaintext store's warning would interleave the table). */
class SilentLogger extends Logger {
  log() {}
  warn() {}
  error() {}
}

/**
 * Runs every scenario `rounds` times at each concurrency.
 * @returns `scenarios` (medians of ops/s, p50, p99, plus round trips, commands, bytes) and
 *   `ratio(a, b, c)`: the median over rounds of a's ops/s over b's at concurrency c.
 */
export async function runStoreBench({ url, stats, rounds, durationMs, concurrencies, log }) {
  // The client the module creates from connection options (auto-pipelining on): what users get.
  const connection = ValkeyConnection.create({ url }, 2000);
  const client = connection.client;
  await client.ping();
  const env = {
    url,
    client,
    ids: Array.from({ length: POOL }, () => mintSessionId()),
    keyBytes: randomBytes(32),
    logger: new SilentLogger(),
  };
  const raw = await rawScenarios(env);
  const idealPlain = await idealScenarios(env, { encrypted: false });
  const idealEnc = await idealScenarios(env, { encrypted: true });
  const plain = await axessScenarios(env, { encrypted: false });
  const enc = await axessScenarios(env, { encrypted: true });
  const peer = await connectRedisScenarios(env);
  // Compared scenarios sit next to each other.
  const scenarios = [
    ...raw.load,
    ...idealPlain.load,
    ...plain.load,
    ...idealEnc.load,
    ...enc.load,
    ...peer.load,
    ...raw.save,
    ...idealPlain.save,
    ...plain.save,
    ...idealEnc.save,
    ...enc.save,
    ...peer.save,
    ...enc.login,
    ...plain.login,
  ];

  log(`store: ${scenarios.length} scenarios × ${concurrencies.join('/')} in flight × ${rounds} rounds of ${durationMs} ms; warming up`);
  for (const s of scenarios) {
    await measure(s.op, { concurrency: 64, durationMs: 250, maxOps: 20_000 });
    await measure(s.op, { concurrency: 1, durationMs: 50, maxOps: 5_000 });
  }

  // Round trips and commands per operation, one in flight (see ValkeyStats).
  for (const s of scenarios) s.wire = await stats.perOperation(s.op, 200);
  for (const s of scenarios) s.bytes = s.sampleKey ? await stats.memoryUsage(s.sampleKey) : undefined;

  for (const s of scenarios) s.runs = Object.fromEntries(concurrencies.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? scenarios : [...scenarios].reverse();
    for (const s of order) {
      for (const c of concurrencies) s.runs[c].push(await measure(s.op, { concurrency: c, durationMs, maxOps: 200_000 }));
    }
    log(`store: round ${r + 1}/${rounds} done`);
  }
  await peer.close();
  await connection.onModuleDestroy();

  const results = scenarios.map((s) => ({
    name: s.name,
    family: s.family,
    wire: s.wire,
    bytes: s.bytes,
    runs: s.runs,
    byConcurrency: Object.fromEntries(
      concurrencies.map((c) => {
        const runs = s.runs[c];
        return [
          c,
          {
            opsPerSec: median(runs.map((x) => x.opsPerSec)),
            p50Us: median(runs.map((x) => x.p50Us)),
            p99Us: median(runs.map((x) => x.p99Us)),
          },
        ];
      }),
    ),
  }));
  const byName = (prefix) => {
    const found = results.find((r) => r.name.startsWith(prefix));
    if (!found) throw new Error(`no scenario named ${prefix}…`);
    return found;
  };
  const ratio = (a, b, c) => {
    const x = byName(a).runs[c];
    const y = byName(b).runs[c];
    return median(x.map((run, i) => run.opsPerSec / y[i].opsPerSec));
  };
  return { scenarios: results, byName, ratio };
}
