// `npm run bench:profile -- [--seconds N] [--connections N] KIND...`: where an e2e app's CPU goes.
// (The npm script builds first; `node bench/profile.mjs` alone needs a build.) Starts a private valkey-server,
// then, one app at a time, runs it (bench/e2e/serve.mjs), signs in, warms it up, profiles it (the
// V8 profiler, started and stopped around the measured `GET /me` load) and reads the profile: self time per request, grouped by
// where the code lives (a package of node_modules, the library, the sample, Node itself, the
// garbage collector), and the top functions. Default kinds: bare, minimal and the sample, on both
// frameworks. Profiles are left in a temporary folder (printed) for a closer look in DevTools.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startValkeyServer } from '@axess/nestjs-session/testing';
import { APPS, load, signIn, startApp, stopApp } from './e2e/e2e.bench.mjs';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    top: { type: 'string', default: '12' },
  },
});
const kinds = positionals.length
  ? positionals
  : ['bare-express', 'minimal-express', 'axess-express', 'bare-fastify', 'minimal-fastify', 'axess-fastify'];

/** Where a frame's code lives: a package, the library, the sample, the bench app, Node, or V8's own work. */
function moduleOf({ url, functionName }) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const lib = /\/dist\/(?:cjs|esm)\/(.+?)\.js$/.exec(url);
  if (lib) return `axess: ${lib[1]}`;
  const sample = /\/dist\/bench\/sample\/(.+?)\.js$/.exec(url);
  if (sample) return `sample: ${sample[1]}`;
  const bench = /\/dist\/bench\/bench\/(.+?)\.js$/.exec(url);
  if (bench) return `bench: ${bench[1]}`;
  return url.replace(/^file:\/\//, '');
}

/** Self time (µs) per module and per function of one `.cpuprofile`. */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const modules = new Map();
  const functions = new Map();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    const module = moduleOf(callFrame);
    modules.set(module, (modules.get(module) ?? 0) + us);
    const fn = `${callFrame.functionName || '(anonymous)'} (${module}:${callFrame.lineNumber + 1})`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  return { modules, functions };
}

const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
const server = await startValkeyServer();
const dir = mkdtempSync(join(os.tmpdir(), 'axess-profile-'));
try {
  for (const kind of kinds) {
    const file = join(dir, `${kind}.cpuprofile`);
    const app = await startApp(kind, server.url, undefined, { AXESS_BENCH_PROFILE: file });
    /** Sends SIGUSR2 and waits for the app's answer line (`PROFILING`, `PROFILED`). */
    const toggle = (answer) =>
      new Promise((resolve) => {
        const onLine = (line) => {
          if (line !== answer) return;
          app.lines.off('line', onLine);
          resolve();
        };
        app.lines.on('line', onLine);
        app.child.kill('SIGUSR2');
      });
    let result;
    try {
      const cookie = await signIn(app.base, APPS.find((a) => a.app === kind)?.login);
      await load(app.base, cookie, Number(args.connections), 1, undefined, app.child.pid);
      await toggle('PROFILING');
      result = await load(app.base, cookie, Number(args.connections), Number(args.seconds), undefined, app.child.pid);
      await toggle('PROFILED');
    } finally {
      await stopApp(app);
    }
    const { modules, functions } = selfTimes(JSON.parse(readFileSync(file, 'utf8')));
    // The profile covers the measured load alone (started and stopped around it).
    const requests = result.requests;
    console.log(
      `\n### ${kind}: ${Math.round(result.reqPerSec)} req/s, app CPU ${result.cpuUsPerReq.toFixed(0)} µs/req (profile: ${file})\n`,
    );
    console.log('| module (self time) | µs per request of the measured run* | share |');
    console.log('| --- | ---: | ---: |');
    const busy = sorted(modules).filter(([m]) => m !== '(idle)');
    const total = busy.reduce((n, [, us]) => n + us, 0);
    for (const [module, us] of busy.slice(0, Number(args.top)))
      console.log(`| ${module} | ${(us / requests).toFixed(1)} | ${((us / total) * 100).toFixed(1)} % |`);
    console.log('\nTop functions by self time:\n');
    for (const [fn, us] of sorted(functions)
      .filter(([f]) => !f.startsWith('(idle)'))
      .slice(0, Number(args.top)))
      console.log(`- ${fn}: ${((us / total) * 100).toFixed(1)} %`);
  }
  console.log(
    '\n* Self time sampled during the measured run ÷ its requests (idle left out). Sampling on a busy machine: compare shares and differences between apps.',
  );
} finally {
  await server.stop();
}
