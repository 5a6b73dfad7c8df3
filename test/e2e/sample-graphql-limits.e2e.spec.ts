import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { startSample, type RunningSample } from '../harness/sample-server';
import { graphql, graphqlLogin } from '../harness/sample-graphql.flow';

/** `count` aliases of `me`, written short: `{a0:me{userId} a1:me{userId} …}` (6,000 of them are 92 KiB). */
function aliasedQuery(count: number): string {
  return `{${Array.from({ length: count }, (_, i) => `a${i}:me{userId}`).join(' ')}}`;
}

interface Stall {
  /** The longest a `GET /health` took while the operation ran. */
  maxHealthMs: number;
  /** How many health checks were answered meanwhile. */
  checks: number;
}

/**
 * Polls `GET /health` from a process of its own (the sample runs in this one: a poller here would
 * be held up with it and could not see the stall) until its stdin closes, then prints the longest
 * answer time and the number of checks as JSON.
 */
const HEALTH_POLLER = `
const url = process.argv[1];
let running = true;
let max = 0;
let checks = 0;
process.stdin.on('end', () => (running = false));
process.stdin.resume();
(async () => {
  process.stdout.write('started\\n');
  while (running) {
    const started = performance.now();
    await fetch(url + '/health').then((res) => res.arrayBuffer());
    max = Math.max(max, performance.now() - started);
    checks++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  process.stdout.write(JSON.stringify({ maxHealthMs: max, checks }) + '\\n');
})();
`;

/**
 * Runs `operation` while another process polls `GET /health`: what a single expensive request
 * does to everybody else's. The longest health answer is the stall.
 */
async function measuringHealth<T>(url: string, operation: () => Promise<T>): Promise<{ result: T; stall: Stall; ms: number }> {
  const poller = spawn(process.execPath, ['-e', HEALTH_POLLER, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  poller.stdout.setEncoding('utf8');
  const exited = new Promise<void>((resolve) => poller.once('close', () => resolve()));
  await new Promise<void>((resolve) =>
    poller.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('started')) resolve();
    }),
  );
  // Let the poller's first checks go out before the operation.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const started = performance.now();
  try {
    const result = await operation();
    const ms = performance.now() - started;
    // One more round of checks after the answer: a stall the operation left behind shows too.
    await new Promise((resolve) => setTimeout(resolve, 200));
    poller.stdin.end();
    await exited;
    const stall = JSON.parse(output.split('\n').filter((line) => line.startsWith('{'))[0]) as Stall;
    return { result, stall, ms };
  } finally {
    poller.stdin.end();
  }
}

/** The messages of an answer's GraphQL errors. */
const messagesOf = (body: unknown): string[] => ((body as { errors?: Array<{ message: string }> })?.errors ?? []).map((e) => e.message);

/** A generous bound on one `GET /health` while an expensive request runs: a stall lasts seconds. */
const HEALTH_BOUND_MS = 1500;

/**
 * The cost limits of the sample's `/graphql`, on both drivers: a 16 KiB JSON body limit, a cap on
 * tokens (parser), aliases, root fields and depth (validation), no introspection and no "did you
 * mean" suggestions outside NODE_ENV=development. Each expensive request is refused before it
 * costs the server, so the other requests (here `/health`) are not held up.
 */
describe.each(['express', 'fastify'] as const)('GraphQL cost limits of the sample on %s', (adapter) => {
  let running: RunningSample;
  let url: string;
  let cookie: string;

  beforeAll(async () => {
    running = await startSample(adapter, 10);
    url = `http://127.0.0.1:${running.port}`;
    cookie = await graphqlLogin(url);
  });

  afterAll(async () => {
    await running?.close();
  });

  it.each([6_000, 16_000])(
    '%d aliases of me (a body over 16 KiB): refused with 413, and /health meanwhile answers without a stall',
    async (count) => {
      const query = aliasedQuery(count);
      const { result, stall, ms } = await measuringHealth(url, () => graphql(url, query, cookie));
      console.log(
        `${adapter}: ${count} aliases (${Math.round(Buffer.byteLength(JSON.stringify({ query })) / 1024)} KiB): ${result.status} in ${Math.round(ms)} ms; /health at most ${Math.round(stall.maxHealthMs)} ms over ${stall.checks} checks`,
      );
      expect(result.status).toBe(413);
      expect(stall.maxHealthMs).toBeLessThan(HEALTH_BOUND_MS);
    },
  );

  it('1,000 aliases within 16 KiB: refused with 400 by the token cap before validation, without a stall', async () => {
    const query = aliasedQuery(1000);
    expect(Buffer.byteLength(JSON.stringify({ query }))).toBeLessThan(16 * 1024);
    const { result, stall } = await measuringHealth(url, () => graphql(url, query, cookie));
    expect(result.status).toBe(400);
    expect(messagesOf(result.body).join(' ')).toMatch(/tokens/);
    expect(stall.maxHealthMs).toBeLessThan(HEALTH_BOUND_MS);
  });

  it('16 aliases: refused with 400 (the cap is 15); 15 are served', async () => {
    const aliases = (count: number) => `{ me { ${Array.from({ length: count }, (_, i) => `u${i}: userId`).join(' ')} } }`;
    const over = await graphql(url, aliases(16), cookie);
    expect(over.status).toBe(400);
    expect(messagesOf(over.body).join(' ')).toMatch(/16 aliases/);
    const within = await graphql(url, aliases(15), cookie);
    expect(within.status).toBe(200);
    expect(Object.keys(within.body.data.me)).toHaveLength(15);
  });

  it('11 root fields without aliases: refused with 400 (the cap is 10)', async () => {
    const answer = await graphql(url, `query { ${Array<string>(11).fill('me { userId }').join(' ')} }`, cookie);
    expect(answer.status).toBe(400);
    expect(messagesOf(answer.body).join(' ')).toMatch(/root fields/);
    expect((await graphql(url, `query { ${Array<string>(10).fill('me { userId }').join(' ')} }`, cookie)).status).toBe(200);
  });

  it('a selection 10 deep: refused with 400 for its depth (the cap is 8)', async () => {
    const answer = await graphql(url, 'query { me { userId { a { b { c { d { e { f { g { h } } } } } } } } } }', cookie);
    expect(answer.status).toBe(400);
    expect(messagesOf(answer.body).join(' ')).toMatch(/depth/);
  });

  it('a fragment that spreads itself does not hang the limits (refused with 400)', async () => {
    const answer = await graphql(url, 'query { me { ...F } } fragment F on Me { userId ...F }', cookie);
    expect(answer.status).toBe(400);
  });

  it('introspection is refused outside NODE_ENV=development', async () => {
    const answer = await graphql(url, '{ __schema { queryType { name } } }', cookie);
    expect(answer.status).toBe(400);
    // Apollo sends no data; Mercurius sends null.
    expect(answer.body.data ?? null).toBeNull();
    expect(messagesOf(answer.body).join(' ')).toMatch(/introspection/i);
  });

  it('a misspelt field gets no "did you mean" suggestion outside NODE_ENV=development', async () => {
    const answer = await graphql(url, '{ mee { userId } }', cookie);
    expect(answer.status).toBe(400);
    const text = messagesOf(answer.body).join(' ');
    expect(text).toMatch(/mee/);
    expect(text).not.toMatch(/did you mean/i);
    expect(text).not.toContain('"me"');
  });

  it('the sample’s own operations are served as before', async () => {
    const me = await graphql(url, 'query { me { userId handle } }', cookie);
    expect(me.status).toBe(200);
    expect(me.body.data.me.userId).toBe('alice');
  });
});

describe.each(['express', 'fastify'] as const)('GraphQL on %s with NODE_ENV=development', (adapter) => {
  let running: RunningSample;
  let url: string;

  beforeAll(async () => {
    running = await startSample(adapter, 10, { development: true });
    url = `http://127.0.0.1:${running.port}`;
  });

  afterAll(async () => {
    await running?.close();
  });

  it('introspection is served, and suggestions are given', async () => {
    const schema = await graphql(url, '{ __schema { queryType { name } } }');
    expect(schema.status).toBe(200);
    expect(schema.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const misspelt = await graphql(url, '{ mee { userId } }');
    expect(messagesOf(misspelt.body).join(' ')).toMatch(/did you mean "me"/i);
  });

  it('the cost limits hold in development too', async () => {
    expect((await graphql(url, aliasedQuery(16))).status).toBe(400);
  });
});
