// Markdown tables and ratios from one run's medians.

const fmt = (n, digits = 0) =>
  n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The store table: one row per scenario and concurrency. */
export function storeTable(store, concurrencies) {
  const results = store.scenarios;
  const lines = [
    '| operation | in flight | ops/s | p50 µs | p99 µs | round trips/op | commands/op¹ | bytes/session |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    for (const c of concurrencies) {
      const m = r.byConcurrency[c];
      lines.push(
        `| ${r.name} | ${c} | ${fmt(m.opsPerSec)} | ${fmt(m.p50Us)} | ${fmt(m.p99Us)} | ${fmt(r.wire.roundTrips, 2)} | ${fmt(r.wire.commands, 2)} | ${r.bytes === undefined ? '–' : fmt(r.bytes)} |`,
      );
    }
  }
  return lines.join('\n');
}

/** Commands each operation sent (from INFO commandstats), e.g. `getex 1, set 1`. */
export function commandMix(store) {
  return store.scenarios
    .map(
      (r) =>
        `- ${r.name}: ${Object.entries(r.wire.mix)
          .map(([name, n]) => `${name} ${fmt(n, 2)}`)
          .join(', ')}`,
    )
    .join('\n');
}

/** The ratios the targets are stated in, at each concurrency (medians of per-round ratios). */
export function storeRatios(store, concurrencies) {
  const pairs = [
    ['encrypted load / ideal encrypted load', 'axess encrypted load', 'ideal encrypted load', '≥ 0.90'],
    ['encrypted save / ideal encrypted save', 'axess encrypted save', 'ideal encrypted save', '≥ 0.90'],
    ['plaintext load / raw GET', 'axess plaintext load', 'raw iovalkey GET', '≥ 0.90'],
    ['plaintext save / raw SET', 'axess plaintext save', 'raw iovalkey SET', '≥ 0.90'],
    ['plaintext load / ideal plaintext load (raw GETEX + unpack)', 'axess plaintext load', 'ideal plaintext load', ''],
    ['plaintext save / ideal plaintext save (pack + raw SET)', 'axess plaintext save', 'ideal plaintext save', ''],
    ['ideal plaintext load / raw GET (the codec alone)', 'ideal plaintext load', 'raw iovalkey GET', ''],
    ['ideal plaintext save / raw SET (the codec alone)', 'ideal plaintext save', 'raw iovalkey SET', ''],
    ['encrypted load / raw GET', 'axess encrypted load', 'raw iovalkey GET', ''],
    ['encrypted save / raw SET', 'axess encrypted save', 'raw iovalkey SET', ''],
    ['encrypted load / connect-redis get+touch', 'axess encrypted load', 'connect-redis get+touch', ''],
    ['plaintext load / connect-redis get+touch', 'axess plaintext load', 'connect-redis get+touch', ''],
    ['encrypted save / connect-redis set', 'axess encrypted save', 'connect-redis set', ''],
    ['plaintext save / connect-redis set', 'axess plaintext save', 'connect-redis set', ''],
  ];
  const lines = [
    `| ratio (ops/s) | ${concurrencies.map((c) => `${c} in flight`).join(' | ')} | target |`,
    `| --- | ${concurrencies.map(() => '---:').join(' | ')} | --- |`,
  ];
  for (const [label, a, b, target] of pairs) {
    lines.push(`| ${label} | ${concurrencies.map((c) => `${fmt(store.ratio(a, b, c), 2)}×`).join(' | ')} | ${target} |`);
  }
  const bytes = (name) => store.byName(name).bytes;
  const peer = bytes('connect-redis get+touch');
  lines.push('');
  lines.push('| bytes per session (MEMORY USAGE) | ratio | target |', '| --- | ---: | --- |');
  lines.push(
    `| encrypted / connect-redis | ${fmt(bytes('axess encrypted load') / peer, 2)}× (${bytes('axess encrypted load')} / ${peer}) | ≤ 0.80 |`,
  );
  lines.push(
    `| plaintext / connect-redis | ${fmt(bytes('axess plaintext load') / peer, 2)}× (${bytes('axess plaintext load')} / ${peer}) | |`,
  );
  lines.push(
    `| encrypted / raw bytes | ${fmt(bytes('axess encrypted load') / bytes('raw iovalkey GET'), 2)}× (${bytes('axess encrypted load')} / ${bytes('raw iovalkey GET')}) | |`,
  );
  return lines.join('\n');
}

/** The framework of an e2e app, from its name (`…-express`, `…-fastify`). */
const adapterOf = (app) => (app.endsWith('-fastify') ? 'fastify' : 'express');

/**
 * The end-to-end table: one row per app and concurrency, app CPU per request first (the figure
 * that moves least with machine noise), its spread over the rounds (min–max), and its ratios to
 * the bare app and to the no-op-shaped app of the same framework, from the same rounds.
 */
export function e2eTable(e2e) {
  const lines = [
    '| app (GET /me, signed in) | in flight | app CPU µs/req | spread (min–max) | CPU ÷ bare | CPU ÷ no-op shape | req/s | req/s ÷ bare | mean µs | p99 ms | round trips/req | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const times = (value) => (Number.isNaN(value) ? '–' : `${fmt(value, 2)}×`);
  for (const r of e2e.results) {
    const cpu = r.runs.map((x) => x.cpuUsPerReq).filter((x) => !Number.isNaN(x));
    const spread = cpu.length ? `${fmt(Math.min(...cpu))}–${fmt(Math.max(...cpu))}` : '–';
    const bare = `bare-${adapterOf(r.app)}`;
    const shaped = `shaped-${adapterOf(r.app)}`;
    lines.push(
      `| ${r.label} | ${r.connections} | **${fmt(r.cpuUsPerReq)}** | ${spread} | ${times(e2e.ratio(r.app, bare, r.connections, 'cpuUsPerReq'))} | ${times(e2e.ratio(r.app, shaped, r.connections, 'cpuUsPerReq'))} | ${fmt(r.reqPerSec)} | ${times(e2e.ratio(r.app, bare, r.connections, 'reqPerSec'))} | ${fmt(r.meanUs)} | ${r.p99Ms < 1 ? '< 1' : fmt(r.p99Ms)} | ${fmt(r.roundTrips, 2)} | ${r.non2xx} |`,
    );
  }
  return lines.join('\n');
}

/**
 * What the library itself costs per request (the README's minimal app − the bare app, app CPU
 * µs per request, median of per-round differences) and what the sample adds on top of it (sample
 * − minimal app), on each framework; with the minimal app's ratios to the bare app, and one
 * Valkey `GET` per request alone (the shaped app with and without it) as the round trip's floor.
 */
export function libraryCost(e2e, concurrencies) {
  const hi = Math.max(...concurrencies);
  const lo = Math.min(...concurrencies);
  const times = (value) => (Number.isNaN(value) ? '–' : `${fmt(value, 2)}×`);
  const us = (value) => (Number.isNaN(value) ? '–' : `${fmt(value, 1)} µs`);
  const rows = [
    [
      `library's own CPU per request: minimal app − bare, at ${hi} in flight`,
      (a) => us(e2e.difference(`minimal-${a}`, `bare-${a}`, hi, 'cpuUsPerReq')),
      '≤ 10 µs',
    ],
    [
      `the same, local cache: minimal app with cache − bare`,
      (a) => us(e2e.difference(`minimal-cache-${a}`, `bare-${a}`, hi, 'cpuUsPerReq')),
      '',
    ],
    [
      `the shape alone: no-op middleware + guard + decorator − bare`,
      (a) => us(e2e.difference(`shaped-${a}`, `bare-${a}`, hi, 'cpuUsPerReq')),
      '',
    ],
    [
      `one Valkey GET per request alone: the shape with a GET − the shape`,
      (a) => us(e2e.difference(`fetch-${a}`, `shaped-${a}`, hi, 'cpuUsPerReq')),
      '',
    ],
    [
      `the library beyond one GET: minimal app − the shape with a GET`,
      (a) => us(e2e.difference(`minimal-${a}`, `fetch-${a}`, hi, 'cpuUsPerReq')),
      '',
    ],
    [
      `the sample's extras: sample − minimal app (both without cache)`,
      (a) => us(e2e.difference(`axess-${a}`, `minimal-${a}`, hi, 'cpuUsPerReq')),
      '',
    ],
    [
      `the sample's extras, telemetry off: sample (telemetry off) − minimal app`,
      (a) => us(e2e.difference(`axess-off-${a}`, `minimal-${a}`, hi, 'cpuUsPerReq')),
      '',
    ],
    [`minimal app ÷ bare, req/s at ${hi} in flight`, (a) => times(e2e.ratio(`minimal-${a}`, `bare-${a}`, hi, 'reqPerSec')), ''],
    [
      `minimal app, local cache ÷ bare, req/s at ${hi} in flight`,
      (a) => times(e2e.ratio(`minimal-cache-${a}`, `bare-${a}`, hi, 'reqPerSec')),
      'Express ≥ 0.95, Fastify ≥ 0.85',
    ],
    [
      `minimal app, local cache ÷ bare, mean latency at ${lo} in flight`,
      (a) => times(e2e.ratio(`minimal-cache-${a}`, `bare-${a}`, lo, 'meanUs')),
      '≤ 1.20',
    ],
    [
      `minimal app ÷ no-op shape, app CPU per request at ${hi} in flight`,
      (a) => times(e2e.ratio(`minimal-${a}`, `shaped-${a}`, hi, 'cpuUsPerReq')),
      '',
    ],
  ];
  const lines = ['| the library alone (README minimal app) | Express | Fastify | goal |', '| --- | ---: | ---: | --- |'];
  for (const [label, value, goal] of rows) lines.push(`| ${label} | ${value('express')} | ${value('fastify')} | ${goal} |`);
  return lines.join('\n');
}

/** End-to-end ratios against the targets (medians of per-round ratios). */
export function e2eRatios(e2e, concurrencies) {
  const hi = Math.max(...concurrencies);
  const lo = Math.min(...concurrencies);
  const rows = [
    [
      `axess on Express ÷ express-session + connect-redis, req/s at ${hi} in flight`,
      e2e.ratio('axess-express', 'peer-express', hi, 'reqPerSec'),
      '≥ 1.25',
    ],
    [
      `axess on Fastify ÷ @fastify/session + connect-redis, req/s at ${hi} in flight`,
      e2e.ratio('axess-fastify', 'peer-fastify', hi, 'reqPerSec'),
      '≥ 1.60',
    ],
    [
      `axess on Express ÷ express-session + connect-redis, mean latency at ${lo} in flight`,
      e2e.ratio('axess-express', 'peer-express', lo, 'meanUs'),
      '≤ 0.70',
    ],
    [
      `axess on Fastify ÷ @fastify/session + connect-redis, mean latency at ${lo} in flight`,
      e2e.ratio('axess-fastify', 'peer-fastify', lo, 'meanUs'),
      '',
    ],
    [
      `axess on Fastify ÷ express-session + connect-redis on Express, req/s at ${hi} in flight`,
      e2e.ratio('axess-fastify', 'peer-express', hi, 'reqPerSec'),
      '',
    ],
    [
      `axess on Express ÷ Nest app without sessions, req/s at ${hi} in flight (the ceiling is 1)`,
      e2e.ratio('axess-express', 'bare-express', hi, 'reqPerSec'),
      '',
    ],
    [
      `axess on Fastify ÷ Nest app without sessions, req/s at ${hi} in flight (the ceiling is 1)`,
      e2e.ratio('axess-fastify', 'bare-fastify', hi, 'reqPerSec'),
      '',
    ],
    [
      `express-session + connect-redis ÷ Nest app without sessions (Express), req/s at ${hi} in flight`,
      e2e.ratio('peer-express', 'bare-express', hi, 'reqPerSec'),
      '',
    ],
    [
      `@fastify/session + connect-redis ÷ Nest app without sessions (Fastify), req/s at ${hi} in flight`,
      e2e.ratio('peer-fastify', 'bare-fastify', hi, 'reqPerSec'),
      '',
    ],
    [
      `express-session + connect-redis on Express ÷ Nest app without sessions, mean latency at ${lo} in flight`,
      e2e.ratio('peer-express', 'bare-express', lo, 'meanUs'),
      '',
    ],
    [
      `axess on Express ÷ Nest app without sessions, mean latency at ${lo} in flight`,
      e2e.ratio('axess-express', 'bare-express', lo, 'meanUs'),
      '',
    ],
  ];
  // What the metrics cost: the sample with the OpenTelemetry metrics SDK registered, the module's
  // metrics (and no-op spans) on, against the same sample with the module's telemetry off.
  for (const [adapter, name] of [
    ['express', 'Express'],
    ['fastify', 'Fastify'],
  ]) {
    for (const c of [hi, lo]) {
      rows.push([
        `axess on ${name}, metrics on ÷ telemetry off (SDK registered), req/s at ${c} in flight`,
        e2e.ratio(`axess-${adapter}`, `axess-off-${adapter}`, c, 'reqPerSec'),
        '≥ 0.97',
      ]);
    }
    rows.push([
      `axess on ${name}, metrics on ÷ telemetry off (SDK registered), app CPU per request at ${hi} in flight`,
      e2e.ratio(`axess-${adapter}`, `axess-off-${adapter}`, hi, 'cpuUsPerReq'),
      '≤ 1.03',
    ]);
  }
  const lines = ['| ratio | value | target |', '| --- | ---: | --- |'];
  // Rows of apps that did not run (--e2e-apps) are left out.
  for (const [label, value, target] of rows.filter(([, value]) => !Number.isNaN(value)))
    lines.push(`| ${label} | ${fmt(value, 2)}× | ${target} |`);
  return lines.join('\n');
}

/**
 * The local cache side by side with the sample without it, both against the bare Nest app, and
 * how long a revocation through one instance takes to be refused by another (`revocation`: rows of
 * `runRevocationBench`, or undefined when it did not run).
 */
export function localCacheTable(e2e, revocation, concurrencies) {
  const hi = Math.max(...concurrencies);
  const lo = Math.min(...concurrencies);
  const commands = (app) => e2e.results.find((r) => r.app === app)?.commandsPerReq;
  const ratio = (value) => `${fmt(value, 2)}×`;
  const rows = [
    ['Valkey commands per `GET /me` (INFO commandstats, 500 sequential requests), no cache', (a) => fmt(commands(`axess-${a}`), 3), ''],
    ['Valkey commands per `GET /me`, local cache (hot session)', (a) => fmt(commands(`axess-cache-${a}`), 3), '≤ 0.05'],
    [
      `req/s ÷ Nest app without sessions at ${hi} in flight, no cache`,
      (a) => ratio(e2e.ratio(`axess-${a}`, `bare-${a}`, hi, 'reqPerSec')),
      '',
    ],
    [
      `req/s ÷ Nest app without sessions at ${hi} in flight, local cache`,
      (a) => ratio(e2e.ratio(`axess-cache-${a}`, `bare-${a}`, hi, 'reqPerSec')),
      'Fastify ≥ 0.85',
    ],
    [
      `req/s at ${hi} in flight, local cache ÷ no cache`,
      (a) => ratio(e2e.ratio(`axess-cache-${a}`, `axess-${a}`, hi, 'reqPerSec')),
      'Express ≥ 1.00',
    ],
    [
      `app CPU per request at ${hi} in flight, local cache ÷ no cache`,
      (a) => ratio(e2e.ratio(`axess-cache-${a}`, `axess-${a}`, hi, 'cpuUsPerReq')),
      '',
    ],
    [
      `mean latency ÷ Nest app without sessions at ${lo} in flight, no cache`,
      (a) => ratio(e2e.ratio(`axess-${a}`, `bare-${a}`, lo, 'meanUs')),
      '',
    ],
    [
      `mean latency ÷ Nest app without sessions at ${lo} in flight, local cache`,
      (a) => ratio(e2e.ratio(`axess-cache-${a}`, `bare-${a}`, lo, 'meanUs')),
      '≤ 1.20',
    ],
  ];
  rows.push(
    [
      `floor: no-op middleware + guard + decorator ÷ Nest app without sessions, req/s at ${hi} in flight`,
      (a) => ratio(e2e.ratio(`shaped-${a}`, `bare-${a}`, hi, 'reqPerSec')),
      '',
    ],
    [
      `floor: no-op middleware + guard + decorator ÷ Nest app without sessions, mean latency at ${lo} in flight`,
      (a) => ratio(e2e.ratio(`shaped-${a}`, `bare-${a}`, lo, 'meanUs')),
      '',
    ],
    [
      `local cache ÷ no-op middleware + guard + decorator, req/s at ${hi} in flight`,
      (a) => ratio(e2e.ratio(`axess-cache-${a}`, `shaped-${a}`, hi, 'reqPerSec')),
      '',
    ],
    [
      `local cache ÷ no-op middleware + guard + decorator, mean latency at ${lo} in flight`,
      (a) => ratio(e2e.ratio(`axess-cache-${a}`, `shaped-${a}`, lo, 'meanUs')),
      '',
    ],
  );
  for (const label of ['no cache', 'local cache']) {
    const of = (a) => revocation?.find((r) => r.adapter === a && r.label === label);
    rows.push([
      `revoked through instance B, refused by A: p50 / p99 ms, ${label}`,
      (a) => (of(a) ? `${fmt(of(a).p50Ms, 2)} / ${fmt(of(a).p99Ms, 2)}` : '–'),
      label === 'local cache' ? 'p99 ≤ 5' : '',
    ]);
  }
  const floor = revocation?.find((r) => r.adapter === 'valkey');
  if (floor) {
    const both = `${fmt(floor.p50Ms, 2)} / ${fmt(floor.p99Ms, 2)}`;
    rows.push(['floor: a bare PUBLISH → message on another client, p50 / p99 ms (same run)', () => both, '']);
  }
  const lines = ['| local cache (`AXESS_LOCAL_CACHE=1`) | Express | Fastify | goal |', '| --- | ---: | ---: | --- |'];
  for (const [label, value, goal] of rows) lines.push(`| ${label} | ${value('express')} | ${value('fastify')} | ${goal} |`);
  return lines.join('\n');
}

/**
 * The sample now against the sample as built from each `--baseline` commit, and each baseline
 * against the one before it, on both adapters: req/s at the highest concurrency, mean latency at
 * the lowest, app CPU per request at the highest. Empty without baselines.
 */
export function baselineRatios(e2e, concurrencies) {
  const hi = Math.max(...concurrencies);
  const lo = Math.min(...concurrencies);
  const pairs = [];
  for (const [i, b] of e2e.baselines.entries()) {
    pairs.push([`axess sample ÷ sample at ${b.ref}`, 'axess-', `axess-at-${b.short}-`]);
    pairs.push([`axess sample, telemetry off ÷ sample at ${b.ref}`, 'axess-off-', `axess-at-${b.short}-`]);
    const before = e2e.baselines[i - 1];
    if (before) pairs.push([`sample at ${b.ref} ÷ sample at ${before.ref}`, `axess-at-${b.short}-`, `axess-at-${before.short}-`]);
  }
  const lines = [
    `| ratio | req/s at ${hi} in flight (Express / Fastify) | mean latency at ${lo} in flight | app CPU per request at ${hi} in flight |`,
    '| --- | ---: | ---: | ---: |',
  ];
  const times = (value) => (Number.isNaN(value) ? '–' : `${fmt(value, 2)}×`);
  const both = (a, b, c, field) =>
    ['express', 'fastify'].map((adapter) => times(e2e.ratio(a + adapter, b + adapter, c, field))).join(' / ');
  for (const [label, a, b] of pairs) {
    if (['express', 'fastify'].every((adapter) => Number.isNaN(e2e.ratio(a + adapter, b + adapter, hi, 'reqPerSec')))) continue;
    lines.push(`| ${label} | ${both(a, b, hi, 'reqPerSec')} | ${both(a, b, lo, 'meanUs')} | ${both(a, b, hi, 'cpuUsPerReq')} |`);
  }
  return lines.length > 2 ? lines.join('\n') : '';
}
