// `npm run bench`: starts a private valkey-server, runs the store benchmark and the end-to-end
// benchmark against it, prints Markdown tables, stops everything it started.
// Options: --rounds N (default 5), --ms N (per measurement, default 400), --e2e-seconds N
// (default 3), --e2e-rounds N (default 3), --no-e2e, --no-store, --e2e-apps a,b (only the e2e apps
// whose name contains one of these, e.g. `axess-fastify,axess-off-fastify` for the sample with
// telemetry on and off),
// --revocation-trials N (default 300; 0 skips the revocation bench), --baseline REF[,REF] (also
// run the sample as built from these commits, side by side; bench/lib/baseline.mjs), --write (also
// write bench/RESULTS.md).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startValkeyServer } from '@axess/nestjs-session/testing';
import { baselineRatios, commandMix, e2eRatios, e2eTable, libraryCost, localCacheTable, storeRatios, storeTable } from './lib/report.mjs';
import { prepareBaseline } from './lib/baseline.mjs';
import { ValkeyStats } from './lib/valkey-stats.mjs';
import { revocationTable } from './e2e/revocation.bench.mjs';
import { runStoreBench } from './store/store.bench.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    ms: { type: 'string', default: '400' },
    'e2e-seconds': { type: 'string', default: '3' },
    'e2e-rounds': { type: 'string', default: '3' },
    'no-e2e': { type: 'boolean', default: false },
    'no-store': { type: 'boolean', default: false },
    'e2e-apps': { type: 'string' },
    'revocation-trials': { type: 'string', default: '300' },
    baseline: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
});
if (args.write && (args['no-store'] || args['e2e-apps'])) {
  console.error('--write rewrites the results of a whole run: drop --no-store and --e2e-apps.');
  process.exit(2);
}
const CONCURRENCIES = [1, 64];
const log = (line) => console.error(`[bench] ${line}`);

/** Pins `pid` (all its threads) to `cpus` when taskset exists and the machine has the cores. */
function pin(pid, cpus) {
  try {
    execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Interrupted: exit through 'exit' handlers, which kill the valkey-server and app processes.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

// Built before anything is measured (a first build of a commit takes a minute or two).
const baselines = args['no-e2e'] ? [] : (args.baseline?.split(',') ?? []).map((ref) => prepareBaseline(join(here, '..'), ref, log));

const cores = os.availableParallelism();
const server = await startValkeyServer();
const stats = new ValkeyStats(server.url);
let output;
try {
  const valkeyPid = await stats.pid();
  // Two cores: the Node process under test on CPU 0; Valkey (and, end to end, the load
  // generator) on CPU 1. More cores: Valkey and the load generator get one each.
  const pinned = cores >= 2 && pin(process.pid, '0') && pin(valkeyPid, cores >= 3 ? '2' : '1');
  const placement = pinned
    ? `bench process on CPU 0, valkey-server on CPU ${cores >= 3 ? 2 : 1}${args['no-e2e'] ? '' : `, HTTP app on CPU 0, autocannon on CPU 1`}`
    : 'not pinned (taskset unavailable or fewer than 2 cores)';
  log(`valkey-server ${server.url} (pid ${valkeyPid}); ${placement}`);

  const rounds = Number(args.rounds);
  const durationMs = Number(args.ms);
  const store = args['no-store']
    ? undefined
    : await runStoreBench({ url: server.url, stats, rounds, durationMs, concurrencies: CONCURRENCIES, log });

  let e2e;
  if (!args['no-e2e']) {
    const { runE2eBench } = await import('./e2e/e2e.bench.mjs');
    e2e = await runE2eBench({
      url: server.url,
      stats,
      seconds: Number(args['e2e-seconds']),
      rounds: Number(args['e2e-rounds']),
      concurrencies: CONCURRENCIES,
      pinned,
      apps: args['e2e-apps']?.split(','),
      baselines,
      log,
    });
  }
  let revocation;
  const revocationTrials = Number(args['revocation-trials']);
  if (!args['no-e2e'] && revocationTrials > 0) {
    const { runRevocationBench } = await import('./e2e/revocation.bench.mjs');
    revocation = await runRevocationBench({ url: server.url, trials: revocationTrials, pinned, log });
  }

  const valkeyVersion = /valkey_version:(\S+)/.exec(await stats.admin.info('server'))?.[1];
  output = [
    `Run: ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, Valkey ${valkeyVersion}, ${os.cpus()[0]?.model ?? 'cpu'} × ${cores}, ${placement}.`,
    ...(store
      ? [
          `Session: ~500 bytes encoded (bench/lib/session.fixture.mjs). Store: medians of ${rounds} rounds of ${durationMs} ms per scenario and concurrency, interleaved.`,
          '',
          '### Store operations',
          '',
          storeTable(store, CONCURRENCIES),
          '',
          storeRatios(store, CONCURRENCIES),
          '',
          '¹ Commands per operation from `INFO commandstats`, commands run inside a Lua script included. Round trips per operation: server read events (`total_reads_processed`) per operation at one in flight. Bytes: `MEMORY USAGE` of one session key (key, value and overhead).',
          '',
          'Commands per operation:',
          '',
          commandMix(store),
        ]
      : []),
    ...(e2e
      ? [
          '',
          '### End to end',
          '',
          `autocannon, ${args['e2e-seconds']} s per run, medians of ${args['e2e-rounds']} runs, interleaved. Mean latency = connections ÷ req/s (closed loop); p99 from autocannon, whole milliseconds. App CPU: user + system time of the app's process per request during the run (/proc, 10 ms ticks). Round trips per request: server read events per sequential request.`,
          '',
          e2eTable(e2e),
          '',
          `App CPU µs per request is the primary figure: user + system time of the app's process per request, median over the rounds, with its spread (lowest–highest round); ratios are medians of per-round ratios to the bare app and to the no-op-shaped app of the same framework, from this run.`,
          '',
          libraryCost(e2e, CONCURRENCIES),
          '',
          e2eRatios(e2e, CONCURRENCIES),
          ...(baselines.length
            ? [
                '',
                `Against earlier commits (\`--baseline\`), each built and run as it shipped then, in the same rounds:`,
                '',
                baselineRatios(e2e, CONCURRENCIES),
              ]
            : []),
          ...(e2e.notes.length ? ['', ...e2e.notes.map((n) => `- ${n}`)] : []),
          '',
          '### Local session cache',
          '',
          `The sample with \`AXESS_LOCAL_CACHE=1\` against the same sample without it and the bare Nest app, from the runs above. Revocation: two instances of the sample (own processes, one Valkey); per trial a fresh session is read on A until A serves it, revoked through B (\`DELETE /auth/sessions/:id\`), then \`GET /me\` goes to A back to back until it answers 401; the time is from B's answer to A's first 401, so it includes that request's own time${revocation ? ` (${revocationTrials} trials per row)` : ''}.`,
          '',
          localCacheTable(e2e, revocation, CONCURRENCIES),
          ...(revocation ? ['', revocationTable(revocation)] : []),
        ]
      : []),
  ].join('\n');
  console.log(output);
} finally {
  await stats.close().catch(() => undefined);
  await server.stop();
}

/** RESULTS.md from this line on is kept by hand (capacity figures, history, analysis): --write leaves it as it is. */
const KEPT_NOTES_MARKER = '<!-- Everything below this line is kept when `npm run bench -- --write` rewrites the results above. -->';

if (args.write) {
  const file = join(here, 'RESULTS.md');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const notesAt = previous.indexOf(KEPT_NOTES_MARKER);
  const results = [
    '# Benchmark results',
    '',
    'Reproduce: `npm run bench` (builds, starts its own valkey-server on a free loopback port, stops it at the end). `npm run bench -- --write` rewrites the results above the notes.',
    '',
    output,
    '',
    ...(notesAt === -1 ? [] : [previous.slice(notesAt)]),
  ].join('\n');
  writeFileSync(file, results);
  log('wrote bench/RESULTS.md');
}
