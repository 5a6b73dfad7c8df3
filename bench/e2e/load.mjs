// The load generator, in its own process: `node load.mjs URL CONNECTIONS SECONDS COOKIE`.
// Runs autocannon against URL with COOKIE on every request and prints one JSON line.
import autocannon from 'autocannon';

const [url, connections, seconds, cookie] = process.argv.slice(2);
const result = await autocannon({ url, connections: Number(connections), duration: Number(seconds), pipelining: 1, headers: { cookie } });
const reqPerSec = result.requests.total / (result.duration || Number(seconds));
process.stdout.write(
  `${JSON.stringify({
    reqPerSec,
    requests: result.requests.total,
    // autocannon's histogram counts whole milliseconds; with a closed loop, mean latency is
    // exactly connections / throughput (Little's law), at microsecond resolution.
    meanUs: (Number(connections) / reqPerSec) * 1e6,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
  })}\n`,
);
