import { request } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import IORedis from 'ioredis';
import { Redis as IOValkey } from 'iovalkey';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { createSampleApp, type SampleApp } from '../../sample/sample.app';
import { startSample, type RunningSample } from '../harness/sample-server';
import { cookiePair, send } from '../harness/http-app';
import { graphql } from '../harness/sample-graphql.flow';
import { whenLocalCacheReady } from '../harness/local-cache';
import { listen, sampleConfig } from '../harness/sample-e2e.flow';

/** A raw request with exactly these headers and body (none by default): no client adds its own. */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const LOGIN = 'mutation { login(username: "alice", password: "alice-password") { userId } }';

describe.each(['express', 'fastify'] as const)('the sample’s JSON API on %s: credentials and bodies', (adapter) => {
  let running: RunningSample;
  let base: string;

  beforeAll(async () => {
    running = await startSample(adapter, 10);
    base = `http://127.0.0.1:${running.port}`;
  });

  afterAll(async () => {
    await running?.close();
  });

  const login = async () => {
    const answer = await send(base, 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-password' } });
    expect(answer.status).toBe(200);
    const cookie = cookiePair(answer)!;
    return { cookie, handle: (answer.body as { handle: string }).handle };
  };

  it('credentials in the query string sign nobody in: 401 and no cookie, with an empty body or half a body', async () => {
    const query = '/auth/login?username=alice&password=alice-password';
    const empty = await send(base, 'POST', query, { body: {} });
    expect(empty.status).toBe(401);
    expect(cookiePair(empty)).toBeUndefined();
    const half = await send(base, 'POST', '/auth/login?password=alice-password', { body: { username: 'alice' } });
    expect(half.status).toBe(401);
    expect(cookiePair(half)).toBeUndefined();
    // The same credentials in the body sign in.
    expect((await send(base, 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-password' } })).status).toBe(200);
  });

  it.each([
    ['POST', 'logout', () => '/auth/logout'],
    ['POST', 'logout-all', () => '/auth/logout-all'],
    ['POST', 'revoke-others', () => '/auth/sessions/revoke-others'],
    ['DELETE', 'sessions/:handle', (handle: string) => `/auth/sessions/${handle}`],
  ])('%s /auth/%s with content-type application/json and no body (content-length: 0) is served: 200', async (method, _label, path) => {
    const { cookie, handle } = await login();
    const answer = await raw(base, method, path(handle), { cookie, 'content-type': 'application/json', 'content-length': '0' });
    expect(answer.status).toBe(200);
  });

  it('DELETE /auth/sessions/:handle with content-type application/json and no content-length either: 200', async () => {
    const { cookie, handle } = await login();
    const answer = await raw(base, 'DELETE', `/auth/sessions/${handle}`, { cookie, 'content-type': 'application/json' });
    expect(answer.status).toBe(200);
  });

  it('a body-less JSON login is a failed sign-in (401), not a parse error', async () => {
    const answer = await raw(base, 'POST', '/auth/login', { 'content-type': 'application/json', 'content-length': '0' });
    expect(answer.status).toBe(401);
  });

  it('malformed JSON is still refused with 400', async () => {
    const answer = await raw(base, 'POST', '/auth/login', { 'content-type': 'application/json', 'content-length': '1' }, '{');
    expect(answer.status).toBe(400);
  });
});

/** A logger that keeps every line, for the outage test. */
class LinesLogger implements LoggerService {
  readonly lines: Array<{ level: string; text: string }> = [];
  log = (message: unknown, ...rest: unknown[]) => this.keep('log', message, rest);
  error = (message: unknown, ...rest: unknown[]) => this.keep('error', message, rest);
  warn = (message: unknown, ...rest: unknown[]) => this.keep('warn', message, rest);
  debug = (message: unknown, ...rest: unknown[]) => this.keep('debug', message, rest);
  verbose = (message: unknown, ...rest: unknown[]) => this.keep('verbose', message, rest);
  private keep(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push({ level, text: [message, ...rest].map((p) => (p instanceof Error ? p.message : String(p))).join(' ') });
  }
}

interface SilentEmitter {
  silentEmit: (this: SilentEmitter, event: string, arg?: unknown) => unknown;
  listeners(event: string): unknown[];
  status: string;
  options?: { connectionName?: string };
}

/**
 * Records every `error` event a Valkey client (ioredis or iovalkey) emits with no listener: in a
 * real process the client prints each as "[ioredis] Unhandled error event: …" (under jest it
 * cannot: its `instanceof Error` check fails across the test's realm, so the print is watched at
 * its source).
 */
function watchUnhandledErrorEvents(): { events: string[]; restore(): void } {
  const events: string[] = [];
  const restores: Array<() => void> = [];
  for (const [name, Client] of [
    ['ioredis', IORedis],
    ['iovalkey', IOValkey],
  ] as const) {
    const prototype = Client.prototype as unknown as SilentEmitter;
    const original = prototype.silentEmit;
    prototype.silentEmit = function (this: SilentEmitter, event: string, arg?: unknown) {
      if (event === 'error' && this.status !== 'end' && this.listeners('error').length === 0) {
        events.push(`${name}${this.options?.connectionName ? ` (${this.options.connectionName})` : ''}: ${(arg as Error)?.message}`);
      }
      return original.call(this, event, arg);
    };
    restores.push(() => (prototype.silentEmit = original));
  }
  return { events, restore: () => restores.forEach((restore) => restore()) };
}

describe.each([
  ['express', ''],
  ['fastify', ''],
  ['express', ' (local session cache on)'],
  ['fastify', ' (local session cache on)'],
] as const)('the sample on %s while its Valkey is down%s', (adapter, cached) => {
  let server: ValkeyTestServer | undefined;
  let sample: SampleApp | undefined;
  let url: string;
  const logger = new LinesLogger();
  const unhandled = watchUnhandledErrorEvents();

  beforeAll(async () => {
    server = await startValkeyServer();
    sample = await createSampleApp({ ...sampleConfig(adapter, server.url, { commandTimeoutMs: 500 }), localCache: cached !== '' });
    url = await listen(sample, adapter);
    // The cache's own connection (invalidations) is open once its tracking is confirmed.
    if (cached) await whenLocalCacheReady(sample.app);
    sample.app.useLogger(logger);
  });

  afterAll(async () => {
    unhandled.restore();
    await server?.stop();
    await sample?.close();
  });

  it('a GraphQL sign-in answers SERVICE_UNAVAILABLE (the JSON API 503); the log has typed, throttled warnings and no "Unhandled error event"', async () => {
    // Every client connected: a sign-in (throttle, sessions, registry) and a GraphQL one.
    expect((await graphql(url, LOGIN)).body).toEqual({ data: { login: { userId: 'alice' } } });
    expect((await send(url, 'POST', '/auth/login', { body: { username: 'bob', password: 'bob-password' } })).status).toBe(200);
    await server!.stop();
    server = undefined;

    const started = Date.now();
    const codes: string[] = [];
    const statuses: number[] = [];
    // Three seconds of traffic and reconnection attempts.
    while (Date.now() - started < 3000) {
      const answer = await graphql(url, LOGIN);
      codes.push((answer.body as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code ?? 'none');
      statuses.push((await send(url, 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-password' } })).status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const throttleWarnings = logger.lines.filter((l) => l.text.includes('sign-in throttle') && l.level === 'warn');
    console.log(
      `${adapter}${cached}: GraphQL codes ${JSON.stringify([...new Set(codes)])}, JSON statuses ${JSON.stringify([...new Set(statuses)])}; ` +
        `${unhandled.events.length} unhandled error events (${JSON.stringify([...new Set(unhandled.events)])}), ${throttleWarnings.length} sign-in throttle warnings, ${logger.lines.length} log lines in all`,
    );
    expect(new Set(codes)).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    expect(new Set(statuses)).toEqual(new Set([503]));
    expect(unhandled.events).toEqual([]);
    // One warning for the outage, naming its reason, however many reconnection attempts fail.
    expect(throttleWarnings).toHaveLength(1);
    expect(throttleWarnings[0].text).toMatch(/\((unreachable|timeout)\)/);
    // Nothing floods the log: each kind of line at most once per 5-second throttle window.
    const counts = new Map<string, number>();
    for (const l of logger.lines) counts.set(l.text.replace(/\d+/g, 'N'), (counts.get(l.text.replace(/\d+/g, 'N')) ?? 0) + 1);
    for (const [, count] of counts) expect(count).toBeLessThanOrEqual(2);
  });
});
