// One HTTP app of the end-to-end benchmark, in its own process: `node serve.mjs KIND VALKEY_URL`
// with KIND one of axess-express, axess-fastify, axess-off-express, axess-off-fastify,
// axess-cache-express, axess-cache-fastify (the sample with AXESS_LOCAL_CACHE=1), minimal-express,
// minimal-fastify, minimal-cache-express, minimal-cache-fastify (the README's minimal app, without
// and with the local cache), peer-express,
// peer-fastify, bare-express, bare-fastify, shaped-express, shaped-fastify (bare with a no-op
// middleware, guard and parameter decorator), fetch-express, fetch-fastify (the same, whose
// middleware reads one value from Valkey per request). Prints
// `READY <port>` once listening on 127.0.0.1 (with the local cache: once its tracking is
// confirmed); closes the app on SIGTERM. Two instances that must share sessions (the revocation
// bench) get the same keys and prefix through AXESS_BENCH_ENCRYPTION_KEY, AXESS_BENCH_SIGNING_KEY
// and AXESS_BENCH_PREFIX. A baseline (`axess-at-<commit>-express|fastify`) is the sample as built
// from an earlier commit in AXESS_BENCH_ROOT (bench/lib/baseline.mjs), run as it shipped then.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.env.AXESS_BENCH_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const [kind, valkeyUrl] = process.argv.slice(2);
const fastify = kind.endsWith('-fastify');

let running;
if (kind.startsWith('axess-')) {
  // The sample app as it ships, built against the package's CommonJS output. It registers the
  // OpenTelemetry metrics SDK (Prometheus exporter) itself; axess-off-* runs it with the module's
  // telemetry off (no metrics, no spans, the store unwrapped), to measure what the metrics cost.
  const telemetryOff = kind.startsWith('axess-off-');
  const localCache = kind.startsWith('axess-cache-');
  const shared = process.env;
  const { createSampleApp } = require(join(root, 'dist/bench/sample/sample.app.js'));
  const { Logger } = require('@nestjs/common');
  Logger.overrideLogger(['error', 'warn']);
  running = await createSampleApp({
    port: 0,
    valkeyUrl,
    fastify,
    maxSessions: 3,
    encryptionKey: shared.AXESS_BENCH_ENCRYPTION_KEY ?? randomBytes(32).toString('base64'),
    signingKey: shared.AXESS_BENCH_SIGNING_KEY ?? randomBytes(32).toString('base64'),
    localCache,
    // Each app has keys of its own, so each needs a key prefix of its own (one key ring per prefix),
    // also when the same kind starts again on the same Valkey (bench:profile with a kind twice).
    overrides: {
      prefix: shared.AXESS_BENCH_PREFIX ?? `bench-${kind}-${process.pid}`,
      ...(telemetryOff ? { telemetry: { metrics: false, traces: false } } : {}),
    },
  });
} else if (kind.startsWith('minimal-')) {
  // The README's minimal app (the library, passport-local, one controller): the library's own
  // cost beside the bare app; minimal-cache-* with the local cache on.
  const { createMinimalApp } = require(join(root, 'dist/bench/bench/e2e/apps/minimal.app.js'));
  running = await createMinimalApp(fastify, {
    valkeyUrl,
    encryptionKey: randomBytes(32).toString('base64'),
    signingKey: randomBytes(32).toString('base64'),
    prefix: `bench-${kind}-${process.pid}`,
    localCache: kind.startsWith('minimal-cache-'),
  });
} else if (kind.startsWith('shaped-') || kind.startsWith('fetch-')) {
  // The bare app with a no-op middleware, guard and parameter decorator: the shape of a session
  // library, none of its work; fetch-* also reads one value from Valkey per request (a round trip's floor).
  const { createShapedApp } = require(join(root, 'dist/bench/bench/e2e/apps/shaped.app.js'));
  running = await createShapedApp(fastify, kind.startsWith('fetch-') ? valkeyUrl : undefined);
} else if (kind.startsWith('bare-')) {
  // The same Nest app with no session library: Nest's own per-request cost.
  const { createBareApp } = require(join(root, 'dist/bench/bench/e2e/apps/bare.app.js'));
  running = await createBareApp(fastify);
} else if (kind.startsWith('peer-')) {
  const { createPeerApp } = require(join(root, 'dist/bench/bench/e2e/apps/peer.app.js'));
  running = await createPeerApp(valkeyUrl, fastify);
} else {
  throw new Error(`unknown app kind ${kind}`);
}
await running.app.listen(0, '127.0.0.1');
if (kind.startsWith('axess-cache-') || kind.startsWith('minimal-cache-')) {
  // Until its tracking is confirmed the cache is bypassed: measure it once it serves.
  const { SessionBackend } = require(join(root, 'dist/cjs/axess-session.backend.js'));
  await running.app.get(SessionBackend).invalidations.whenCoherent();
}
const { port } = running.app.getHttpServer().address();
process.stdout.write(`READY ${port}\n`);

if (process.env.AXESS_BENCH_PROFILE) {
  // bench/profile.mjs: SIGUSR2 starts the CPU profiler, the next one writes the profile to that
  // file, so that it covers the measured load alone (not start-up or warm-up).
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  let profiling = false;
  process.on('SIGUSR2', async () => {
    if (!profiling) {
      profiling = true;
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      process.stdout.write('PROFILING\n');
    } else {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(process.env.AXESS_BENCH_PROFILE, JSON.stringify(profile));
      process.stdout.write('PROFILED\n');
    }
  });
}

process.once('SIGTERM', () => {
  running
    .close()
    .catch((error) => console.error(error))
    .finally(() => process.exit(0));
});
