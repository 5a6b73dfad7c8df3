import { listenOnLoopback } from '../harness/listen';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Redis } from 'iovalkey';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  AXESS_METRICS,
  AxessSessionModule,
  CookieSigner,
  InstrumentedSessionRegistry,
  InstrumentedSessionStore,
  KeyLayout,
  mintSessionId,
  SessionRegistry,
  SessionStore,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { ManualClock, startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { cookiePair, send, type AdapterName, type Answer } from '../harness/http-app';
import { HeaderAuthGuard, SessionTestController } from '../harness/session-test.app';
import { idOf, MetricsProbe, parentOf, SpansProbe } from '../harness/telemetry';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

/**
 * The module's OpenTelemetry metrics and spans, read through the SDK's own in-memory exporters
 * (the real SDK aggregation, not a mock of the API), on Express and Fastify against Valkey.
 */

const ADAPTERS: AdapterName[] = ['express', 'fastify'];
const DAY_MS = 24 * 60 * 60_000;

/**
 * Stands in for an HTTP instrumentation: every request runs inside an active `request` span.
 * Mounted with `app.use` before the app initializes, so it runs ahead of the session middleware.
 */
/**
 * A span around each request, started where OpenTelemetry's HTTP instrumentation starts it: in
 * the server's `request` event, before the framework (and so before the session middleware,
 * which Express runs first) sees the request.
 */
function traceRequests(server: Server, tracer: Tracer): void {
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const span = tracer.startSpan('request');
    res.once('finish', () => span.end());
    context.with(trace.setSpan(context.active(), span), () => {
      for (const listener of listeners) listener.call(server, req, res);
    });
  });
}

interface TelemetryApp {
  app: INestApplication;
  url: string;
  prefix: string;
  signingKey: Buffer;
  close(): Promise<void>;
}

async function startApp(adapter: AdapterName, options: AxessSessionModuleOptions, requestTracer?: Tracer): Promise<TelemetryApp> {
  const prefix = options.prefix!;
  const signingKey = options.signingKey as Buffer;

  @Module({ imports: [AxessSessionModule.forRoot(options)], controllers: [SessionTestController], providers: [HeaderAuthGuard] })
  class TelemetryTestModule {}

  const ref = await Test.createTestingModule({ imports: [TelemetryTestModule] }).compile();
  const { app, url } = await listenOnLoopback(ref, adapter, {
    beforeInit: (created) => {
      if (requestTracer) traceRequests(created.getHttpServer() as Server, requestTracer);
    },
  });
  return { app, url, prefix, signingKey, close: () => app.close() };
}

/** Every attribute value of every metric point and span, as text. */
async function everyAttributeValue(metrics: MetricsProbe, spans: SpansProbe): Promise<string[]> {
  const values: string[] = [];
  for (const metric of await metrics.collect())
    for (const point of metric.dataPoints) values.push(...Object.values(point.attributes).map(String));
  for (const span of spans.spans()) values.push(span.name, ...Object.values(span.attributes).map(String), span.status.message ?? '');
  return values;
}

describe.each(ADAPTERS)('OpenTelemetry metrics and spans on %s (Valkey)', (adapter) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let metrics: MetricsProbe;
  let spans: SpansProbe;
  let client: Redis;
  let t: TelemetryApp;

  const login = (user: string, cookie?: string) => send(t.url, 'POST', '/login', { cookie, headers: { 'x-user': user } });
  const me = (cookie?: string) => send(t.url, 'GET', '/me', { cookie });
  const sessionIdOf = (answer: Answer) => cookiePair(answer)!.split('=')[1].split('.')[0];

  beforeAll(async () => {
    metrics = new MetricsProbe();
    spans = new SpansProbe();
    client = testClient();
    t = await startApp(
      adapter,
      {
        client,
        prefix: uniquePrefix('otel'),
        encryptionKey: randomKey(),
        signingKey: randomKey(),
        maxSessionsPerUser: 3,
        clock,
        telemetry: { meterProvider: metrics.provider, tracerProvider: spans.provider },
      },
      spans.provider.getTracer('test-http'),
    );
  });

  afterAll(async () => {
    await t?.close();
    await client?.quit();
    await metrics?.shutdown();
    await spans?.shutdown();
  });

  it('wraps the store and the registry it provides', () => {
    expect(t.app.get(SessionStore)).toBeInstanceOf(InstrumentedSessionStore);
    expect(t.app.get(SessionStore).backend).toBe('valkey');
    expect(t.app.get(SessionRegistry)).toBeInstanceOf(InstrumentedSessionRegistry);
  });

  it('four sign-ins with cap 3: axess.logins admitted 4, axess.sessions.ended evicted:newer-sign-in 1; the spans nest login > admit > store calls under the request span', async () => {
    spans.reset();
    const before = await metrics.sum(AXESS_METRICS.logins, { outcome: 'admitted' });
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) answers.push(await login('alice'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect((await me(cookiePair(answers[0]))).status).toBe(401);

    expect((await metrics.sum(AXESS_METRICS.logins, { outcome: 'admitted' })) - before).toBe(4);
    expect(await metrics.sum(AXESS_METRICS.sessionsEnded, { reason: 'evicted:newer-sign-in' })).toBe(1);
    expect(await metrics.sum(AXESS_METRICS.logins, { outcome: 'failed' })).toBe(0);

    const all = spans.spans();
    const logins = all.filter((s) => s.name === 'axess.login');
    expect(logins).toHaveLength(4);
    const requests = new Set(all.filter((s) => s.name === 'request').map(idOf));
    for (const span of logins) expect(requests).toContain(parentOf(span));
    expect(logins.map((s) => s.attributes['axess.evicted_count'])).toEqual([0, 0, 0, 1]);
    expect(logins.map((s) => s.attributes['axess.outcome'])).toEqual(['admitted', 'admitted', 'admitted', 'admitted']);

    const last = logins[3];
    const children = (parent: ReadableSpan) => all.filter((s) => parentOf(s) === idOf(parent));
    const admit = children(last).find((s) => s.name === 'axess.registry admit')!;
    expect(admit.attributes).toMatchObject({
      'axess.operation': 'admit',
      'axess.store.backend': 'valkey',
      'axess.max_sessions': 3,
      'axess.evicted_count': 1,
    });
    expect(children(last).map((s) => s.name)).toContain('axess.store save');
    // On one server the admission script checks the records and ends the victim itself: no store call under it.
    expect(children(admit).map((s) => s.name)).toEqual([]);

    // The request after the eviction: one load under its request span.
    const load = all.filter((s) => s.name === 'axess.store load').at(-1)!;
    expect(load.attributes).toMatchObject({ 'axess.operation': 'load', 'axess.round_trips': 1 });
    expect(requests).toContain(parentOf(load));
  });

  it('axess.store.duration: one point per operation, in ms, with the calls counted', async () => {
    const before = await metrics.sum(AXESS_METRICS.storeDuration, { operation: 'load' });
    const signedIn = await login('dora');
    for (let i = 0; i < 3; i++) expect((await me(cookiePair(signedIn))).status).toBe(200);
    expect((await metrics.sum(AXESS_METRICS.storeDuration, { operation: 'load' })) - before).toBe(3);

    const metric = (await metrics.collect()).find((m) => m.descriptor.name === AXESS_METRICS.storeDuration)!;
    expect(metric.descriptor.unit).toBe('ms');
    const operations = new Set(metric.dataPoints.map((p) => p.attributes.operation));
    for (const operation of ['load', 'save', 'admit']) expect(operations).toContain(operation);
  });

  it('axess.cookies.rejected: malformed, bad-signature and unknown-session, one per cookie the request could not use', async () => {
    const signer = new CookieSigner(t.signingKey);
    expect((await me('__Host-axess.sid=not-a-signed-value')).status).toBe(401);
    expect((await me(`__Host-axess.sid=${mintSessionId()}.${randomBytes(32).toString('base64url')}`)).status).toBe(401);
    expect((await me(`__Host-axess.sid=${signer.sign(mintSessionId())}`)).status).toBe(401);
    // Two cookies: a garbage one planted ahead of a valid one of a session that does not exist.
    expect((await me(`__Host-axess.sid=garbage; __Host-axess.sid=${signer.sign(mintSessionId())}`)).status).toBe(401);

    expect(await metrics.sum(AXESS_METRICS.cookiesRejected, { reason: 'malformed' })).toBe(2);
    expect(await metrics.sum(AXESS_METRICS.cookiesRejected, { reason: 'bad-signature' })).toBe(1);
    // The evicted session of the first test was presented once too.
    expect(await metrics.sum(AXESS_METRICS.cookiesRejected, { reason: 'unknown-session' })).toBe(3);
  });

  it('logging out, revoking and the absolute timeout end sessions with their reasons; revocations have spans', async () => {
    const phone = await login('bob');
    const laptop = await login('bob');
    const tablet = await login('bob');
    spans.reset();
    expect((await send(t.url, 'POST', '/sessions/revoke-others', { cookie: cookiePair(tablet) })).status).toBe(200);
    expect(await metrics.sum(AXESS_METRICS.sessionsEnded, { reason: 'revoked' })).toBe(2);
    const revoke = spans.spans().find((s) => s.name === 'axess.revoke')!;
    expect(revoke.attributes).toMatchObject({ 'axess.revoke.scope': 'others', 'axess.outcome': 'ok', 'axess.revoked_count': 2 });
    expect(
      spans
        .spans()
        .filter((s) => parentOf(s) === idOf(revoke))
        .map((s) => s.name),
    ).toContain('axess.store markGone');
    expect((await me(cookiePair(phone))).status).toBe(401);
    expect((await me(cookiePair(laptop))).status).toBe(401);

    expect((await send(t.url, 'POST', '/logout', { cookie: cookiePair(tablet) })).status).toBe(200);
    expect(await metrics.sum(AXESS_METRICS.sessionsEnded, { reason: 'logged-out' })).toBe(1);
    // session.destroy() from a handler is a logout too.
    expect((await send(t.url, 'POST', '/destroy', { cookie: cookiePair(await login('bob')) })).status).toBe(200);
    expect(await metrics.sum(AXESS_METRICS.sessionsEnded, { reason: 'logged-out' })).toBe(2);

    const old = await login('carol');
    clock.advance(8 * DAY_MS);
    const expired = await me(cookiePair(old));
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ reason: 'expired:absolute-timeout' });
    expect(await metrics.sum(AXESS_METRICS.sessionsEnded, { reason: 'expired:absolute-timeout' })).toBe(1);
    expect(await metrics.sum(AXESS_METRICS.cookiesRejected, { reason: 'expired:absolute-timeout' })).toBe(1);
  });

  it('a store error: a login whose registry key holds the wrong type fails (503); axess.logins failed, axess.store.errors command / wrong-type, the spans in error without the reply text', async () => {
    spans.reset();
    const keys = new KeyLayout(t.prefix);
    await client.set(keys.registry('mallory'), 'not a sorted set');
    const admitsBefore = await metrics.sum(AXESS_METRICS.storeDuration, { operation: 'admit' });
    const answer = await login('mallory');
    expect(answer.status).toBe(503);

    expect(await metrics.sum(AXESS_METRICS.logins, { outcome: 'failed' })).toBe(1);
    expect(await metrics.sum(AXESS_METRICS.storeErrors, { kind: 'command', reason: 'wrong-type', operation: 'admit' })).toBe(1);
    // The failed call's duration is recorded too.
    expect((await metrics.sum(AXESS_METRICS.storeDuration, { operation: 'admit' })) - admitsBefore).toBe(1);

    const failed = spans.spans().find((s) => s.name === 'axess.login')!;
    expect(failed.attributes['axess.outcome']).toBe('failed');
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'command: wrong-type' });
    const admit = spans.spans().find((s) => s.name === 'axess.registry admit')!;
    expect(admit.status.code).toBe(SpanStatusCode.ERROR);
    expect(admit.attributes).toMatchObject({ 'axess.error.kind': 'command', 'axess.error.reason': 'wrong-type' });
    for (const span of spans.spans()) expect(span.status.message ?? '').not.toMatch(/WRONGTYPE|Operation against/);
  });

  it('a record that does not decrypt: axess.store.errors decrypt (operation load), and its cookie counts as unknown-session', async () => {
    const signedIn = await login('erin');
    const id = sessionIdOf(signedIn);
    await client.set(new KeyLayout(t.prefix).session(id), randomBytes(120));
    const unknownBefore = await metrics.sum(AXESS_METRICS.cookiesRejected, { reason: 'unknown-session' });

    expect((await me(cookiePair(signedIn))).status).toBe(401);
    expect(await metrics.sum(AXESS_METRICS.storeErrors, { kind: 'decrypt', operation: 'load' })).toBe(1);
    expect((await metrics.sum(AXESS_METRICS.cookiesRejected, { reason: 'unknown-session' })) - unknownBefore).toBe(1);
  });

  it('no attribute of any metric or span holds a session id, a user id, a key or session data', async () => {
    const signedIn = await send(t.url, 'POST', '/login-and-store', { headers: { 'x-user': 'frank-the-user' } });
    const id = sessionIdOf(signedIn);
    expect((await me(cookiePair(signedIn))).body).toMatchObject({ data: { greeting: 'hello frank-the-user' } });
    const values = await everyAttributeValue(metrics, spans);
    expect(values.length).toBeGreaterThan(50);
    for (const value of values) {
      expect(value).not.toContain(id);
      expect(value).not.toMatch(/alice|bob|carol|dora|erin|frank|mallory/);
      expect(value).not.toContain(t.prefix);
      expect(value).not.toContain('hello');
      expect(value).not.toMatch(/[A-Za-z0-9_-]{32}/); // nothing shaped like a session id or a MAC
    }
  });
});

describe.each(ADAPTERS)('axess.store.errors of kind connection on %s when Valkey stops', (adapter) => {
  let server: ValkeyTestServer | undefined;
  let metrics: MetricsProbe;
  let t: TelemetryApp;

  beforeAll(async () => {
    server = await startValkeyServer();
    metrics = new MetricsProbe();
    t = await startApp(adapter, {
      connection: { url: server.url },
      commandTimeoutMs: 500,
      prefix: uniquePrefix('otel-down'),
      encryptionKey: randomKey(),
      signingKey: randomKey(),
      telemetry: { meterProvider: metrics.provider, traces: false },
    });
  });

  afterAll(async () => {
    await t?.close();
    await server?.stop();
    await metrics?.shutdown();
  });

  it('a request whose session cannot be read answers 503 and counts connection errors of the load', async () => {
    const signedIn = await send(t.url, 'POST', '/login', { headers: { 'x-user': 'alice' } });
    expect(signedIn.status).toBe(200);
    await server!.stop();
    server = undefined;

    expect((await send(t.url, 'GET', '/me', { cookie: cookiePair(signedIn) })).status).toBe(503);
    expect(await metrics.sum(AXESS_METRICS.storeErrors, { kind: 'connection', operation: 'load' })).toBe(1);
    const points = await metrics.points(AXESS_METRICS.storeErrors);
    expect(points.map((p) => p.attributes.reason)).toEqual([expect.stringMatching(/^(unreachable|timeout)$/)]);
  });
});

describe.each(ADAPTERS)('telemetry off on %s', (adapter) => {
  let metrics: MetricsProbe;
  let client: Redis;
  let t: TelemetryApp;

  beforeAll(async () => {
    metrics = new MetricsProbe();
    client = testClient();
    t = await startApp(adapter, {
      client,
      prefix: uniquePrefix('otel-off'),
      encryptionKey: randomKey(),
      signingKey: randomKey(),
      telemetry: { metrics: false, traces: false, meterProvider: metrics.provider },
    });
  });

  afterAll(async () => {
    await t?.close();
    await client?.quit();
    await metrics?.shutdown();
  });

  it('records nothing and leaves the store and registry unwrapped', async () => {
    const signedIn = await send(t.url, 'POST', '/login', { headers: { 'x-user': 'alice' } });
    expect((await send(t.url, 'GET', '/me', { cookie: cookiePair(signedIn) })).status).toBe(200);
    expect(await metrics.collect()).toEqual([]);
    expect(t.app.get(SessionStore)).not.toBeInstanceOf(InstrumentedSessionStore);
    expect(t.app.get(SessionRegistry)).not.toBeInstanceOf(InstrumentedSessionRegistry);
  });
});
