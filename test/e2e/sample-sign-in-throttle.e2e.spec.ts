import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { AppModule } from '../../sample/app.module';
import { SignInAttempts } from '../../sample/auth/sign-in-attempts';
import { useSampleWebSockets } from '../../sample/realtime/sample-websockets';
import { useSampleHttp } from '../../sample/sample-http';
import { startSample, type RunningSample, type SampleOptions } from '../harness/sample-server';
import { uniquePrefix } from '../harness/valkey';
import { withTestClient } from '../harness/valkey-hooks';
import { csrfTokenIn, PageClient } from '../harness/page-client';
import { sampleConfig } from '../harness/sample-e2e.flow';

/** The limit the sample enforces: 10 failed sign-ins a minute per ip and per username. */
const LIMIT = 10;

interface JsonAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * POST /auth/login from the loopback address `from`: Linux routes all of 127.0.0.0/8 to the
 * loopback interface, so a socket bound to 127.0.0.23 reaches the sample as a client whose ip
 * really is 127.0.0.23, with no proxy header to trust.
 */
function loginFrom(
  port: number,
  from: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const payload = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress: from,
        method: 'POST',
        path: '/auth/login',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** `count` wrong passwords for `username` from `from`, alternating over `ports`; their statuses. */
async function failures(ports: number[], count: number, from: (i: number) => string, username: (i: number) => string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await loginFrom(ports[i % ports.length], from(i), username(i), 'wrong-password')).status);
  return statuses;
}

const unauthorized = (n: number) => Array<number>(n).fill(401);

describe.each(['express', 'fastify'] as const)(
  'failed sign-ins on %s are limited per ip and per username, across instances on one Valkey',
  (adapter) => {
    /** Two instances of the sample sharing keys and prefix: as behind a load balancer. */
    let instances: RunningSample[] = [];
    let ports: number[];
    const valkey = withTestClient();

    async function startPair(options: SampleOptions = {}): Promise<void> {
      const shared: SampleOptions = {
        prefix: uniquePrefix('sample-throttle'),
        signingKey: randomBytes(32).toString('base64'),
        encryptionKey: randomBytes(32).toString('base64'),
        ...options,
      };
      instances = [await startSample(adapter, 10, shared), await startSample(adapter, 10, shared)];
      ports = instances.map((i) => i.port);
    }

    beforeEach(async () => {
      await startPair();
    });

    afterEach(async () => {
      await Promise.all(instances.map((i) => i.close()));
      instances = [];
    });

    it('one ip, one username: the 11th wrong password answers 429 with Retry-After, and then the right password does too', async () => {
      expect(
        await failures(
          ports,
          LIMIT,
          () => '127.0.0.11',
          () => 'alice',
        ),
      ).toEqual(unauthorized(LIMIT));
      const eleventh = await loginFrom(ports[0], '127.0.0.11', 'alice', 'wrong-password');
      expect(eleventh.status).toBe(429);
      expect(Number(eleventh.headers['retry-after'])).toBeGreaterThan(0);
      expect(eleventh.headers['set-cookie']).toBeUndefined();
      // Blocked: the password is not even looked at, so the right one gets the same answer.
      const right = await loginFrom(ports[1], '127.0.0.11', 'alice', 'alice-password');
      expect(right.status).toBe(429);
      expect(right.headers['set-cookie']).toBeUndefined();
      // Nobody else is limited by alice's failures.
      expect((await loginFrom(ports[0], '127.0.0.12', 'bob', 'bob-password')).status).toBe(200);
    });

    it('per username, whatever the ip and the instance: ten failures from ten ips, the 11th from an eleventh ip gets 429', async () => {
      const ip = (i: number) => `127.0.0.${20 + i}`;
      expect(await failures(ports, LIMIT, ip, () => 'alice')).toEqual(unauthorized(LIMIT));
      expect((await loginFrom(ports[1], ip(LIMIT), 'alice', 'wrong-password')).status).toBe(429);
      // alice's username stays blocked from a fresh ip, with the right password, on either instance.
      expect((await loginFrom(ports[0], ip(LIMIT + 1), 'alice', 'alice-password')).status).toBe(429);
      expect((await loginFrom(ports[1], ip(LIMIT + 2), 'alice', 'alice-password')).status).toBe(429);
      // Those ips are not blocked for other usernames: each made one or two failed attempts.
      expect((await loginFrom(ports[0], ip(0), 'bob', 'bob-password')).status).toBe(200);
    });

    it('per ip, whatever the username and the instance: ten unknown usernames, the 11th attempt from that ip gets 429', async () => {
      const user = (i: number) => `nobody-${i}`;
      expect(await failures(ports, LIMIT, () => '127.0.0.41', user)).toEqual(unauthorized(LIMIT));
      expect((await loginFrom(ports[0], '127.0.0.41', user(LIMIT), 'wrong-password')).status).toBe(429);
      expect((await loginFrom(ports[1], '127.0.0.41', 'alice', 'alice-password')).status).toBe(429);
      // alice from another ip is not limited by that ip's failures.
      expect((await loginFrom(ports[1], '127.0.0.42', 'alice', 'alice-password')).status).toBe(200);
    });

    it('successful sign-ins are not counted: after 15 of them from one ip, that ip and username still have all 10 failures to spend', async () => {
      for (let i = 0; i < 15; i++) expect((await loginFrom(ports[i % 2], '127.0.0.51', 'alice', 'alice-password')).status).toBe(200);
      expect(
        await failures(
          ports,
          LIMIT,
          () => '127.0.0.51',
          () => 'alice',
        ),
      ).toEqual(unauthorized(LIMIT));
      expect((await loginFrom(ports[0], '127.0.0.51', 'alice', 'wrong-password')).status).toBe(429);
    });

    it('without TRUST_PROXY, X-Forwarded-For is ignored: a new forged address per attempt does not reset the count', async () => {
      const forged = (i: number) => ({ 'x-forwarded-for': `203.0.113.${i}` });
      for (let i = 0; i < LIMIT; i++) {
        expect((await loginFrom(ports[i % 2], '127.0.0.61', `nobody-${i}`, 'wrong-password', forged(i))).status).toBe(401);
      }
      expect((await loginFrom(ports[0], '127.0.0.61', 'nobody-x', 'wrong-password', forged(99))).status).toBe(429);
    });

    it("the counts live in Valkey under the app's prefix (`{prefix}:throttle:`), expiring within the minute", async () => {
      await failures(
        ports,
        3,
        () => '127.0.0.71',
        () => 'alice',
      );
      const keys = await valkey.client.keys(`${instances[0].prefix}:throttle:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        // The typed username is not in the key: it is an HMAC.
        expect(key).not.toContain('alice');
        const ttl = await valkey.client.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60_000);
      }
    });

    it('the sign-in form: the 11th wrong password shows the form again with a 429 and says to wait', async () => {
      const c = new PageClient(`http://127.0.0.1:${ports[0]}`);
      let token = csrfTokenIn(await c.get('/'));
      for (let i = 0; i < LIMIT; i++) {
        const answer = await c.post('/signin', { _csrf: token, username: 'bob', password: 'wrong-password' });
        expect(answer.status).toBe(401);
        token = csrfTokenIn(answer);
      }
      const throttled = await c.post('/signin', { _csrf: token, username: 'bob', password: 'bob-password' });
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(throttled.text).toContain('Too many failed sign-ins');
      expect(c.cookie).toBeUndefined();
    });
  },
);

describe.each(['express', 'fastify'] as const)('failed sign-ins on %s behind a trusted proxy (TRUST_PROXY)', (adapter) => {
  let running: RunningSample;

  beforeAll(async () => {
    running = await startSample(adapter, 10, { trustProxy: '127.0.0.0/8' });
  });

  afterAll(async () => {
    await running?.close();
  });

  it("the proxy's X-Forwarded-For is the client ip: each client has its own count", async () => {
    for (let i = 0; i < LIMIT + 2; i++) {
      // One proxy address, a different client behind it each time, unknown usernames.
      expect(
        (await loginFrom(running.port, '127.0.0.81', `nobody-${i}`, 'wrong-password', { 'x-forwarded-for': `198.51.100.${i}` })).status,
      ).toBe(401);
    }
    const client = { 'x-forwarded-for': '198.51.100.200' };
    for (let i = 0; i < LIMIT; i++)
      expect((await loginFrom(running.port, '127.0.0.81', `someone-${i}`, 'wrong-password', client)).status).toBe(401);
    expect((await loginFrom(running.port, '127.0.0.81', 'someone-else', 'wrong-password', client)).status).toBe(429);
  });

  it("X-Forwarded-Proto: https makes https://host the app's origin for the Origin check", async () => {
    const host = `127.0.0.1:${running.port}`;
    const login = (origin: string, proto?: string) =>
      loginFrom(running.port, '127.0.0.82', 'alice', 'alice-password', { origin, ...(proto ? { 'x-forwarded-proto': proto } : {}) });
    expect((await login(`https://${host}`, 'https')).status).toBe(200);
    expect((await login(`http://${host}`, 'https')).status).toBe(403);
    expect((await login(`http://${host}`)).status).toBe(200);
    expect((await login(`https://${host}`)).status).toBe(403);
  });
});

describe("the sign-in throttle's Valkey client", () => {
  it("is the sample's own and is quit when the app closes", async () => {
    const running = await startSample('express', 10);
    const attempts = running.sample.app.get<SignInAttempts, { client: { status: string; once(event: 'end', listener: () => void): void } }>(
      SignInAttempts,
    );
    expect((await loginFrom(running.port, '127.0.0.95', 'alice', 'wrong-password')).status).toBe(401);
    expect(attempts.client.status).toBe('ready');
    await running.close();
    // The connection closes asynchronously after quit; the test's timeout bounds the wait.
    if (attempts.client.status !== 'end') await new Promise<void>((resolve) => attempts.client.once('end', resolve));
    expect(attempts.client.status).toBe('end');
  });
});

describe.each(['express', 'fastify'] as const)('failed sign-ins on %s with the in-memory fallback', (adapter) => {
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    const module = AppModule.register(sampleConfig(adapter, undefined), 'memory');
    app =
      adapter === 'fastify'
        ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
        : await NestFactory.create(module, { logger: false });
    useSampleHttp(app);
    useSampleWebSockets(app);
    if (adapter === 'fastify') {
      await app.init();
      await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    }
    await app.listen(0, '127.0.0.1');
    port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('the in-memory counts enforce the same limits', async () => {
    expect(
      await failures(
        [port],
        LIMIT,
        () => '127.0.0.91',
        () => 'alice',
      ),
    ).toEqual(unauthorized(LIMIT));
    expect((await loginFrom(port, '127.0.0.91', 'alice', 'wrong-password')).status).toBe(429);
    expect((await loginFrom(port, '127.0.0.92', 'alice', 'alice-password')).status).toBe(429);
    expect((await loginFrom(port, '127.0.0.93', 'bob', 'bob-password')).status).toBe(200);
  });
});
