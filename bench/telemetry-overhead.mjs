// What the module's telemetry adds to one store call, in process and without I/O: a store whose
// load answers at once, bare and inside InstrumentedSessionStore, with the OpenTelemetry metrics
// SDK registered as the sample registers it (a MeterProvider read by the Prometheus exporter) and
// no trace SDK (spans are the API's no-op ones, as in an app that exports metrics only).
// `npm run build && node bench/telemetry-overhead.mjs [--calls N] [--rounds N]`. Prints ns per
// call (medians of interleaved rounds); an HTTP request makes one such call (the load).
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AxessTelemetry, instrumentStore, mintSessionId, SessionStore } from '../dist/esm/internal.js';
import { median } from './lib/measure.mjs';

const { values: args } = parseArgs({
  options: { calls: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '11' } },
});
const CALLS = Number(args.calls);
const ROUNDS = Number(args.rounds);

const exporter = new PrometheusExporter({ preventServerStart: true });
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));

const record = { data: { cart: [1, 2, 3] }, createdAt: Date.now(), userId: 'bench-user' };
/** A store that answers every load at once: only the wrapper's own work is left to measure. */
class ImmediateStore extends SessionStore {
  load() {
    return Promise.resolve(record);
  }
  save() {
    return Promise.resolve(true);
  }
  delete() {
    return Promise.resolve();
  }
  cycle() {
    return Promise.resolve();
  }
  existing() {
    return Promise.resolve(new Set());
  }
  remainingTtl() {
    return Promise.resolve(new Map());
  }
  markGone() {
    return Promise.resolve();
  }
  goneReason() {
    return Promise.resolve(undefined);
  }
}

const variants = [
  ['bare store (telemetry off)', new ImmediateStore()],
  ['metrics on, no-op spans (the default)', instrumentStore(new ImmediateStore(), new AxessTelemetry())],
  ['metrics on, traces off', instrumentStore(new ImmediateStore(), new AxessTelemetry({ traces: false }))],
  ['metrics off, no-op spans', instrumentStore(new ImmediateStore(), new AxessTelemetry({ metrics: false }))],
];

const id = mintSessionId();
const options = { refreshTtlMs: 60_000 };
async function run(store) {
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) await store.load(id, options);
  return ((performance.now() - t0) * 1e6) / CALLS;
}

for (const [, store] of variants) await run(store); // warm up every path
const samples = new Map(variants.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, store] of r % 2 === 0 ? variants : [...variants].reverse()) samples.get(name).push(await run(store));
}
const bare = median(samples.get(variants[0][0]));
console.log(`| store.load through | ns per call | added ns per call |`);
console.log(`| --- | ---: | ---: |`);
for (const [name] of variants) {
  const ns = median(samples.get(name));
  console.log(`| ${name} | ${ns.toFixed(0)} | ${name === variants[0][0] ? '–' : (ns - bare).toFixed(0)} |`);
}
await exporter.shutdown();
