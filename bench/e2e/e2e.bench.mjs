// End-to-end benchmark: the sample app's `GET /me` with a signed-in cookie on Express and on
// Fastify, versus the same minimal Nest app on express-session / @fastify/session with
// connect-redis, and that app with no session at all (Nest's own cost, the ceiling), all against
// one valkey-server. Each app runs in its own process; autocannon
// runs in another, pinned to another core when the bench pins.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median } from '../lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const APPS = [
  { app: 'bare-express', label: 'Nest app, no session (Express)' },
  { app: 'shaped-express', label: 'Nest app, no-op middleware + guard + decorator (Express)' },
  { app: 'fetch-express', label: 'Nest app, no-op shape + one Valkey GET per request (Express)' },
  { app: 'minimal-express', label: "README's minimal app (Express)", login: '/login' },
  { app: 'minimal-cache-express', label: "README's minimal app, local cache (Express)", login: '/login' },
  { app: 'axess-express', label: 'axess sample (Express)' },
  { app: 'axess-off-express', label: 'axess sample, telemetry off (Express)' },
  { app: 'axess-cache-express', label: 'axess sample, local cache (Express)' },
  { app: 'peer-express', label: 'express-session + connect-redis (Express)' },
  { app: 'bare-fastify', label: 'Nest app, no session (Fastify)' },
  { app: 'shaped-fastify', label: 'Nest app, no-op middleware + guard + decorator (Fastify)' },
  { app: 'fetch-fastify', label: 'Nest app, no-op shape + one Valkey GET per request (Fastify)' },
  { app: 'minimal-fastify', label: "README's minimal app (Fastify)", login: '/login' },
  { app: 'minimal-cache-fastify', label: "README's minimal app, local cache (Fastify)", login: '/login' },
  { app: 'axess-fastify', label: 'axess sample (Fastify)' },
  { app: 'axess-off-fastify', label: 'axess sample, telemetry off (Fastify)' },
  { app: 'axess-cache-fastify', label: 'axess sample, local cache (Fastify)' },
  { app: 'peer-fastify', label: '@fastify/session + connect-redis (Fastify)' },
];
/** The sample as built from each baseline commit (bench/lib/baseline.mjs), on both adapters. */
function baselineApps(baselines) {
  return baselines.flatMap(({ ref, short, dir }) =>
    [
      ['express', 'Express'],
      ['fastify', 'Fastify'],
    ].map(([adapter, name]) => ({
      app: `axess-at-${short}-${adapter}`,
      label: `axess sample at ${ref} (${name})`,
      env: { AXESS_BENCH_ROOT: dir },
    })),
  );
}
const LOGIN = JSON.stringify({ username: 'alice', password: 'alice-password' });

/** `command args` under `taskset -c cpu` when pinning, else as is. */
function pinned(cpu, command, args) {
  return cpu === undefined ? [command, args] : ['taskset', ['-c', String(cpu), command, ...args]];
}

/** Starts one app process (with `env` added to this one's, and `nodeArgs` such as `--cpu-prof`) and resolves once it listens. */
export async function startApp(kind, url, cpu, env = {}, nodeArgs = []) {
  const [command, args] = pinned(cpu, process.execPath, [...nodeArgs, join(here, 'serve.mjs'), kind, url]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  // Never outlive the bench, even when it is interrupted.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    child.once('error', reject);
    const timer = setTimeout(() => reject(new Error(`${kind} did not start within 30 s`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const match = /^READY (\d+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  }).catch((error) => {
    child.kill('SIGKILL');
    throw error;
  });
  // Keep draining the app's log lines so that its stdout never blocks.
  lines.on('line', () => undefined);
  return { kind, child, lines, base: `http://127.0.0.1:${port}` };
}

export async function stopApp({ child }) {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Signs in and returns the `Cookie` header value that `GET /me` then accepts (empty without sessions). */
export async function signIn(base, path = '/auth/login') {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: LOGIN });
  if (!res.ok) throw new Error(`login at ${base} answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const me = await fetch(`${base}/me`, { headers: { cookie } });
  if (me.status !== 200) throw new Error(`GET /me at ${base} with the login cookie answered ${me.status}`);
  return cookie;
}

/** CPU time (user + system) `pid` has used so far, in µs, from /proc (undefined elsewhere). */
function cpuTimeUs(pid) {
  try {
    // Fields after the command name: state is field 3, utime 14 and stime 15, in clock ticks (100 per second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** One autocannon run in its own process; `appPid`'s CPU time per request is measured around it. */
export async function load(base, cookie, connections, seconds, cpu, appPid) {
  const [command, args] = pinned(cpu, process.execPath, [
    join(here, 'load.mjs'),
    `${base}/me`,
    String(connections),
    String(seconds),
    cookie,
  ]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const cpuBefore = cpuTimeUs(appPid);
  const [code] = await once(child, 'exit');
  const cpuAfter = cpuTimeUs(appPid);
  if (code !== 0) throw new Error(`autocannon exited with ${code}`);
  const result = JSON.parse(out.trim().split('\n').pop());
  result.cpuUsPerReq = cpuBefore === undefined || cpuAfter === undefined ? NaN : (cpuAfter - cpuBefore) / result.requests;
  return result;
}

/**
 * Starts the four apps, signs in on each, warms them up, then runs `rounds` rounds (ABBA order)
 * of `seconds` per app and concurrency; returns medians and notes.
 */
export async function runE2eBench({ url, stats, seconds, rounds, concurrencies, pinned: pin, apps: only, baselines = [], log }) {
  const appCpu = pin ? 0 : undefined;
  const loadCpu = pin ? 1 : undefined;
  const notes = [];
  const apps = [];
  const catalog = [...APPS, ...baselineApps(baselines)];
  // One 'exit' listener per app process and per load run (they kill their child if the bench dies).
  process.setMaxListeners(Math.max(process.getMaxListeners(), catalog.length + 4));
  // Baselines run whenever they are asked for; --e2e-apps picks among the others.
  const chosen = catalog.filter(({ app, env }) => env || !only || only.some((part) => app.includes(part)));
  try {
    for (const { app, env } of chosen) apps.push(await startApp(app, url, appCpu, env));
    for (const a of apps) a.cookie = await signIn(a.base, catalog.find((x) => x.app === a.kind).login);

    // Round trips and commands per request: sequential requests, server read events and INFO
    // commandstats per request (500, so that a hot cached session's few commands, e.g. a touch or
    // a heartbeat, show up as the fraction they are).
    for (const a of apps) {
      a.wire = await stats.perOperation(async () => {
        const res = await fetch(`${a.base}/me`, { headers: { cookie: a.cookie } });
        if (res.status !== 200) throw new Error(`GET /me answered ${res.status}`);
        await res.arrayBuffer();
      }, 500);
    }

    log(`e2e: ${apps.length} apps × ${concurrencies.join('/')} connections × ${rounds} rounds of ${seconds} s; warming up`);
    for (const a of apps) await load(a.base, a.cookie, 64, 1, loadCpu, a.child.pid);

    const runs = new Map(apps.map((a) => [a, new Map(concurrencies.map((c) => [c, []]))]));
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? apps : [...apps].reverse();
      for (const a of order) {
        for (const c of concurrencies)
          runs
            .get(a)
            .get(c)
            .push(await load(a.base, a.cookie, c, seconds, loadCpu, a.child.pid));
      }
      log(`e2e: round ${r + 1}/${rounds} done`);
    }

    const results = [];
    for (const a of apps) {
      for (const c of concurrencies) {
        const xs = runs.get(a).get(c);
        results.push({
          app: a.kind,
          label: catalog.find((x) => x.app === a.kind).label,
          connections: c,
          reqPerSec: median(xs.map((x) => x.reqPerSec)),
          meanUs: median(xs.map((x) => x.meanUs)),
          p50Ms: median(xs.map((x) => x.p50Ms)),
          p99Ms: median(xs.map((x) => x.p99Ms)),
          cpuUsPerReq: median(xs.map((x) => x.cpuUsPerReq)),
          non2xx: xs.reduce((n, x) => n + x.non2xx, 0),
          runs: xs,
          roundTrips: a.wire.roundTrips,
          commandsPerReq: a.wire.commands,
          commands: a.wire.mix,
        });
      }
    }
    for (const a of apps) {
      notes.push(
        `${catalog.find((x) => x.app === a.kind).label}: ${a.wire.roundTrips.toFixed(3)} round trips and ${a.wire.commands.toFixed(3)} commands per request (${Object.entries(
          a.wire.mix,
        )
          .map(([n, k]) => `${n} ${k.toFixed(3)}`)
          .join(', ')})`,
      );
    }
    // Per-round ratios (apps run back to back in each round), then their median; NaN when an app did not run (--e2e-apps).
    const ratio = (appA, appB, c, field) => {
      const xs = results.find((r) => r.app === appA && r.connections === c)?.runs;
      const ys = results.find((r) => r.app === appB && r.connections === c)?.runs;
      if (!xs || !ys) return NaN;
      return median(xs.map((x, i) => x[field] / ys[i][field]));
    };
    // The same per round for differences (µs of CPU one app spends per request beyond another).
    const difference = (appA, appB, c, field) => {
      const xs = results.find((r) => r.app === appA && r.connections === c)?.runs;
      const ys = results.find((r) => r.app === appB && r.connections === c)?.runs;
      if (!xs || !ys) return NaN;
      return median(xs.map((x, i) => x[field] - ys[i][field]));
    };
    return { results, notes, ratio, difference, baselines };
  } finally {
    for (const a of apps) await stopApp(a);
  }
}
