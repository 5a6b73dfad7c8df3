import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from '../../sample/app.module';
import { useSampleWebSockets } from '../../sample/realtime/sample-websockets';
import { useSampleHttp } from '../../sample/sample-http';
import { sampleConfig } from '../harness/sample-e2e.flow';
import { UsersService } from '../../sample/auth/users.service';
import { startSample, type RunningSample } from '../harness/sample-server';
import { csrfTokenIn, PageClient } from '../harness/page-client';

/** The limit the sample enforces: 10 sign-ins a minute per ip and per username that are not successes. */
const LIMIT = 10;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One POST from the loopback address `from` (Linux routes all of 127.0.0.0/8 to loopback). */
function postFrom(port: number, from: string, path: string, payload: unknown): Promise<Answer> {
  const text = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress: from,
        method: 'POST',
        path,
        // A fresh connection per attempt, as many clients would open.
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** Counts the passwords the sample verifies (every verification is one scrypt). */
function countVerifications(app: INestApplication): { readonly count: number } {
  const users = app.get(UsersService);
  const verify = users.verify.bind(users);
  const counter = { count: 0 };
  users.verify = (username: unknown, password: unknown) => {
    counter.count++;
    return verify(username, password);
  };
  return counter;
}

/** `n` statuses tallied: `{ 401: 10, 429: 90 }`. */
function tally(statuses: Array<number | string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

/**
 * Sign-in attempts that arrive together: each one reserves its slot in the limit before its
 * password is verified, so a burst can never verify more passwords than the limit allows, on the
 * JSON API, the sign-in form and GraphQL alike.
 */
describe.each(['express', 'fastify'] as const)('sign-in attempts arriving together on %s (real Valkey)', (adapter) => {
  let running: RunningSample;
  let verifications: { readonly count: number };

  beforeEach(async () => {
    running = await startSample(adapter, 10);
    verifications = countVerifications(running.sample.app);
  });

  afterEach(async () => {
    await running?.close();
  });

  it('100 parallel JSON sign-ins from one address: at most 10 passwords verified; the right password among them gets 429, no cookie', async () => {
    const attempts = Array.from({ length: 100 }, (_, i) =>
      postFrom(running.port, '127.0.0.111', '/auth/login', { username: `user-${i}`, password: 'wrong-password' }),
    );
    await Promise.all(attempts.slice(0, 99));
    const right = await postFrom(running.port, '127.0.0.111', '/auth/login', { username: 'alice', password: 'alice-password' });
    const statuses = (await Promise.all(attempts)).map((a) => a.status);
    console.log(
      `${adapter}: 100 parallel sign-ins from one ip: ${JSON.stringify(tally(statuses))}, then the right password: ${right.status}; ${verifications.count} passwords verified`,
    );
    expect(verifications.count).toBeLessThanOrEqual(LIMIT);
    expect(tally(statuses)).toEqual({ 401: expect.any(Number), 429: expect.any(Number) });
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(LIMIT);
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(right.headers['set-cookie']).toBeUndefined();
  });

  it('100 parallel JSON sign-ins for one username from 100 addresses: at most 10 passwords verified, then the right one gets 429', async () => {
    const statuses = (
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          postFrom(running.port, `127.0.1.${i + 1}`, '/auth/login', { username: 'bob', password: `wrong-${i}` }),
        ),
      )
    ).map((a) => a.status);
    console.log(
      `${adapter}: 100 parallel sign-ins of one username: ${JSON.stringify(tally(statuses))}; ${verifications.count} passwords verified`,
    );
    expect(verifications.count).toBeLessThanOrEqual(LIMIT);
    expect((await postFrom(running.port, '127.0.1.200', '/auth/login', { username: 'bob', password: 'bob-password' })).status).toBe(429);
  });

  it('100 parallel GraphQL logins from one address: at most 10 passwords verified, and a right password then gets TOO_MANY_REQUESTS', async () => {
    const login = (username: string, password: string) =>
      postFrom(running.port, '127.0.0.112', '/graphql', {
        query: `mutation { login(username: "${username}", password: "${password}") { userId } }`,
      });
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => login(`user-${i}`, 'wrong-password')));
    const codes = answers.map(
      (a) => (JSON.parse(a.body) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code ?? 'none',
    );
    const right = await login('alice', 'alice-password');
    const rightBody = JSON.parse(right.body) as { data: unknown; errors?: Array<{ extensions?: { code?: string } }> };
    console.log(
      `${adapter}: 100 parallel GraphQL logins from one ip: ${JSON.stringify(tally(codes))}, then the right password: ${rightBody.errors?.[0]?.extensions?.code ?? 'signed in'}; ${verifications.count} passwords verified`,
    );
    expect(verifications.count).toBeLessThanOrEqual(LIMIT);
    expect(rightBody.data).toBeNull();
    expect(rightBody.errors?.[0]?.extensions?.code).toBe('TOO_MANY_REQUESTS');
    expect(right.headers['set-cookie']).toBeUndefined();
  });

  it('JSON, form and GraphQL share one count per address: 4 + 3 + 3 failures, then the 11th attempt is refused on each', async () => {
    const from = '127.0.0.113';
    for (let i = 0; i < 4; i++)
      expect((await postFrom(running.port, from, '/auth/login', { username: `a-${i}`, password: 'x' })).status).toBe(401);
    const page = new PageClient(`http://127.0.0.1:${running.port}`);
    // The form is posted from 127.0.0.1: its failures count for that address, so use GraphQL and JSON from `from`.
    for (let i = 0; i < 3; i++) {
      const answer = await postFrom(running.port, from, '/graphql', {
        query: `mutation { login(username: "g-${i}", password: "x") { userId } }`,
      });
      expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    for (let i = 0; i < 3; i++)
      expect((await postFrom(running.port, from, '/auth/login', { username: `b-${i}`, password: 'x' })).status).toBe(401);
    expect((await postFrom(running.port, from, '/auth/login', { username: 'alice', password: 'alice-password' })).status).toBe(429);
    const gql = await postFrom(running.port, from, '/graphql', {
      query: 'mutation { login(username: "alice", password: "alice-password") { userId } }',
    });
    expect(JSON.parse(gql.body).errors[0].extensions.code).toBe('TOO_MANY_REQUESTS');
    expect(verifications.count).toBe(LIMIT);
    // The form from another address is not blocked by that address's failures.
    const token = csrfTokenIn(await page.get('/'));
    expect((await page.post('/signin', { _csrf: token, username: 'alice', password: 'alice-password' })).status).toBe(303);
  });

  it('right passwords arriving together take slots only while verified: 10 at once all sign in, and give their slots back', async () => {
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        Array.from({ length: LIMIT }, () =>
          postFrom(running.port, '127.0.0.114', '/auth/login', { username: 'alice', password: 'alice-password' }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array<number>(LIMIT).fill(200));
    }
    // 30 successes later, the address still has its 10 failures to spend, and no more.
    for (let i = 0; i < LIMIT; i++) {
      expect((await postFrom(running.port, '127.0.0.114', '/auth/login', { username: `nobody-${i}`, password: 'x' })).status).toBe(401);
    }
    expect((await postFrom(running.port, '127.0.0.114', '/auth/login', { username: 'bob', password: 'bob-password' })).status).toBe(429);
  });

  it('the form: a right password after 10 failures from its address gets 429 and no session', async () => {
    const page = new PageClient(`http://127.0.0.1:${running.port}`);
    let token = csrfTokenIn(await page.get('/'));
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => page.post('/signin', { _csrf: token, username: `f-${i}`, password: 'x' }).then((a) => a.status)),
    );
    expect(verifications.count).toBeLessThanOrEqual(LIMIT);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(LIMIT);
    token = csrfTokenIn(await page.get('/'));
    const right = await page.post('/signin', { _csrf: token, username: 'alice', password: 'alice-password' });
    expect(right.status).toBe(429);
    expect(page.cookie).toBeUndefined();
  });
});

describe.each(['express', 'fastify'] as const)('sign-in attempts arriving together on %s with the in-memory fallback', (adapter) => {
  let app: INestApplication;
  let port: number;
  let verifications: { readonly count: number };

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
    verifications = countVerifications(app);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('100 parallel JSON sign-ins from one address: at most 10 passwords verified, then the right password gets 429', async () => {
    const statuses = (
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => postFrom(port, '127.0.0.121', '/auth/login', { username: `user-${i}`, password: 'wrong' })),
      )
    ).map((a) => a.status);
    expect(verifications.count).toBeLessThanOrEqual(LIMIT);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(LIMIT);
    const right = await postFrom(port, '127.0.0.121', '/auth/login', { username: 'alice', password: 'alice-password' });
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
  });
});
