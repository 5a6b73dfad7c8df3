// Revocation visibility: how long after a session is revoked through instance B does instance A
// refuse it? Two sample instances (own processes, same keys and prefix, one Valkey), with the
// local cache on and off. Each trial: sign in on B (a fresh session), read it on A until A serves
// it (with the cache: from its copy), revoke it through B (`DELETE /auth/sessions/:id`, with another
// session of the same user), then send `GET /me` to A back to back until it answers 401.
// Visibility = from B's answer to A's first 401 (so it includes that request's own time, which
// the last column shows alone: the same request again once the session is long gone);
// "requests" = how many A answered until then (1: refused on the very next request).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Redis } from 'iovalkey';
import { percentile } from '../lib/measure.mjs';
import { startApp, stopApp } from './e2e.bench.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One request on a kept-alive connection; resolves with the status, the body and the cookies. */
function request(base, method, path, { cookie, body } = {}) {
  return new Promise((resolve, reject) => {
    // A body-less DELETE still says JSON (the sample's CSRF rule): `{}` with its length (Node does not chunk a DELETE).
    const payload = method === 'GET' ? undefined : JSON.stringify(body ?? {});
    const headers = {
      ...(cookie ? { cookie } : {}),
      ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
    };
    const req = http.request(`${base}${path}`, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const cookies = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
        resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined, cookie: cookies.join('; ') });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function signIn(base) {
  const res = await request(base, 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-password' } });
  if (res.status !== 200) throw new Error(`login at ${base} answered ${res.status}`);
  // The sample names sessions by their public handle (older samples answered the id).
  return { cookie: res.cookie, id: res.body.handle ?? res.body.sessionId };
}

/** `trials` revocations through B, each timed until A refuses the session. */
async function trialsOn(a, b, trials) {
  const keeper = await signIn(b.base);
  const visibleMs = [];
  const refusalMs = [];
  const requests = [];
  for (let i = 0; i < trials; i++) {
    const victim = await signIn(b.base);
    // A serves it (twice: the first read right after B's write may rightly not be kept by A's cache).
    for (let k = 0; k < 2; k++) {
      const seen = await request(a.base, 'GET', '/me', { cookie: victim.cookie });
      if (seen.status !== 200) throw new Error(`A answered ${seen.status} for a live session`);
    }
    const revoked = await request(b.base, 'DELETE', `/auth/sessions/${victim.id}`, { cookie: keeper.cookie });
    if (revoked.status !== 200) throw new Error(`revoke through B answered ${revoked.status}: ${JSON.stringify(revoked.body)}`);
    const t0 = performance.now();
    let n = 0;
    for (;;) {
      n++;
      const seen = await request(a.base, 'GET', '/me', { cookie: victim.cookie });
      if (seen.status === 401) break;
      if (seen.status !== 200) throw new Error(`A answered ${seen.status}`);
      if (n > 10_000) throw new Error('A kept serving a revoked session');
    }
    visibleMs.push(performance.now() - t0);
    requests.push(n);
    // What A's refusal costs on its own: the same request again, the session long gone.
    const t1 = performance.now();
    if ((await request(a.base, 'GET', '/me', { cookie: victim.cookie })).status !== 401) throw new Error('A served a revoked session');
    refusalMs.push(performance.now() - t1);
  }
  const sorted = Float64Array.from(visibleMs).sort();
  const sortedRefusal = Float64Array.from(refusalMs).sort();
  const sortedRequests = Float64Array.from(requests).sort();
  return {
    trials,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1],
    refusalP50Ms: percentile(sortedRefusal, 0.5),
    refusalP99Ms: percentile(sortedRefusal, 0.99),
    refusedAtOnce: requests.filter((n) => n === 1).length,
    maxRequests: sortedRequests[sortedRequests.length - 1],
  };
}

/**
 * The floor of any revocation seen on another instance through pub/sub, in the same run: a bare
 * `PUBLISH` from one iovalkey client until another, subscribed, gets the message (this process,
 * the same Valkey), `trials` times one after another.
 */
async function publishToMessage(url, trials) {
  const subscriber = new Redis(url, { lazyConnect: true });
  const publisher = new Redis(url, { lazyConnect: true });
  try {
    await Promise.all([subscriber.connect(), publisher.connect()]);
    const channel = `bench-revoke-floor-${randomBytes(4).toString('hex')}`;
    await subscriber.subscribe(channel);
    const ms = [];
    for (let i = 0; i < trials; i++) {
      const got = new Promise((resolve) => subscriber.once('message', resolve));
      const t0 = performance.now();
      await publisher.publish(channel, String(i));
      await got;
      ms.push(performance.now() - t0);
    }
    const sorted = Float64Array.from(ms).sort();
    return { trials, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted[sorted.length - 1] };
  } finally {
    subscriber.disconnect();
    publisher.disconnect();
  }
}

/**
 * Runs the trials for each adapter with the cache off and on (pairs of instances started and
 * stopped in turn, so that only two apps run at a time); returns one row per configuration.
 */
export async function runRevocationBench({ url, trials, pinned: pin, log }) {
  const appCpu = pin ? 0 : undefined;
  log(`revocation: ${trials} bare PUBLISH → message, the floor`);
  const rows = [{ adapter: 'valkey', label: 'bare PUBLISH → message', ...(await publishToMessage(url, trials)) }];
  for (const adapter of ['express', 'fastify']) {
    for (const [kind, label] of [
      [`axess-${adapter}`, 'no cache'],
      [`axess-cache-${adapter}`, 'local cache'],
    ]) {
      const env = {
        AXESS_BENCH_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        AXESS_BENCH_SIGNING_KEY: randomBytes(32).toString('base64'),
        AXESS_BENCH_PREFIX: `bench-revoke-${kind}`,
      };
      const pair = [];
      try {
        pair.push(await startApp(kind, url, appCpu, env));
        pair.push(await startApp(kind, url, appCpu, env));
        const [a, b] = pair;
        log(`revocation: ${trials} trials, ${adapter}, ${label}`);
        rows.push({ adapter, label, ...(await trialsOn(a, b, trials)) });
      } finally {
        for (const app of pair) await stopApp(app);
      }
    }
  }
  agent.destroy();
  return rows;
}

/** The revocation table. */
export function revocationTable(rows) {
  const fmt = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  const lines = [
    '| revoked through B, refused by A | trials | p50 ms | p99 ms | max ms | refused on the very next request | most requests A answered | A refusing an old revoked session: p50 / p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    if (r.adapter === 'valkey') {
      // The floor: no HTTP, no app; its columns about A do not apply.
      lines.push(
        `| ${r.label} (the pub/sub hop alone, same run) | ${r.trials} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.maxMs)} | – | – | – |`,
      );
      continue;
    }
    const adapter = r.adapter === 'express' ? 'Express' : 'Fastify';
    lines.push(
      `| sample on ${adapter}, ${r.label} | ${r.trials} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.maxMs)} | ${r.refusedAtOnce} / ${r.trials} | ${r.maxRequests} | ${fmt(r.refusalP50Ms)} / ${fmt(r.refusalP99Ms)} |`,
    );
  }
  return lines.join('\n');
}
