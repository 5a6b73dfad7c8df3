import { parseSetCookie } from 'cookie';
import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Redis } from 'iovalkey';
import { CookieSigner, mintSessionId, SessionBackend, type AxessConnectionOptions } from '../../src/internal';
import { AppModule } from '../../sample/app.module';
import { createSampleApp, type SampleApp } from '../../sample/sample.app';
import type { SampleConfig } from '../../sample/sample.config';
import { uniquePrefix } from '../harness/valkey';
import { cookiePair, send, type AdapterName, type Answer } from './http-app.harness';

const MAX_SESSIONS = 3;
const idOf = (pair: string | undefined) => pair?.split('=')[1].split('.')[0];

/** A sample config as `sampleConfigFromEnv` would build it, with a private key space. */
export function sampleConfig(adapter: AdapterName, valkeyUrl: string | undefined, overrides: Record<string, unknown> = {}): SampleConfig {
  return {
    port: 0,
    valkeyUrl,
    fastify: adapter === 'fastify',
    maxSessions: MAX_SESSIONS,
    encryptionKey: randomBytes(32).toString('base64'),
    signingKey: randomBytes(32).toString('base64'),
    overrides: { prefix: uniquePrefix('sample'), ...overrides },
  };
}

/** Boots the sample on a free loopback port, as `main.ts` does but without a fixed port. */
export async function listen(sample: SampleApp, adapter: AdapterName): Promise<string> {
  sample.app.useLogger(false);
  if (adapter === 'fastify') {
    await sample.app.init();
    await (sample.app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  }
  await sample.app.listen(0, '127.0.0.1');
  return (await sample.app.getUrl()).replace('[::1]', '127.0.0.1');
}

/**
 * The sample's in-memory fallback (taken when valkey-server is not installed), built from the
 * same `AppModule` that `createSampleApp` uses, since this machine has valkey-server.
 */
async function createMemorySampleApp(config: SampleConfig): Promise<SampleApp> {
  const module = AppModule.register(config, 'memory');
  const app = config.fastify ? await NestFactory.create(module, new FastifyAdapter(), { logger: false }) : await NestFactory.create(module, { logger: false });
  return { app, backend: 'memory', close: () => app.close() };
}

/**
 * The sample on `connection`: through `createSampleApp` (as `npm run sample` does) for a URL,
 * through the same `AppModule` for cluster seed nodes or sentinels, which `createSampleApp`
 * does not read from its environment.
 */
async function createSample(config: SampleConfig, connection: AxessConnectionOptions | undefined): Promise<SampleApp> {
  if (!connection) return createMemorySampleApp(config);
  if (!connection.clusterNodes && !connection.sentinels) return createSampleApp(config);
  const module = AppModule.register(config, connection);
  const app = config.fastify ? await NestFactory.create(module, new FastifyAdapter(), { logger: false }) : await NestFactory.create(module, { logger: false });
  return { app, backend: 'valkey', close: () => app.close() };
}

/** The module's client is of the kind `connection` asks for: a Cluster for seed nodes, a sentinel-routed client for sentinels. */
function expectConnectedAsGiven(sample: SampleApp, connection: AxessConnectionOptions): void {
  const client = sample.app.get(SessionBackend).connection!.client;
  expect(client.isCluster).toBe(connection.clusterNodes !== undefined);
  if (connection.sentinels) expect((client as Redis).options).toMatchObject({ sentinels: connection.sentinels, name: connection.name });
}

/**
 * The sample's e2e flow over real HTTP: passport-local login with the hardened cookie and id
 * rotation, the cap of 3 with eviction and the session list, revocations, logout, forged
 * cookies and /health. One `describe` per `[adapter, backend]` row of `matrix`; `connect` says
 * how a `valkey` row reaches Valkey (a URL, cluster seed nodes, or sentinels) and is called in
 * `beforeAll`, so the caller may start its servers in its own `beforeAll`.
 */
export function describeSampleE2e(title: string, matrix: Array<[AdapterName, 'valkey' | 'memory']>, connect: () => AxessConnectionOptions): void {
  describe.each(matrix)(title, (adapter, backend) => {
    let sample: SampleApp;
    let url: string;
    let signingKey: string;
    let connection: AxessConnectionOptions | undefined;

    beforeAll(async () => {
      connection = backend === 'valkey' ? connect() : undefined;
      if (connection && !connection.clusterNodes && !connection.sentinels) expect(connection.url).toBeDefined();
      const config = sampleConfig(adapter, connection?.url);
      signingKey = config.signingKey;
      sample = await createSample(config, connection);
      url = await listen(sample, adapter);
    });

    afterAll(async () => {
      await sample?.close();
    });

    async function login(username: string, cookie?: string, userAgent = 'sample-e2e'): Promise<{ answer: Answer; cookie: string; id: string }> {
      const answer = await send(url, 'POST', '/auth/login', {
        cookie,
        body: { username, password: `${username}-password` },
        headers: { 'user-agent': userAgent },
      });
      expect(answer.status).toBe(200);
      const pair = cookiePair(answer);
      expect(pair).toBeDefined();
      return { answer, cookie: pair!, id: idOf(pair)! };
    }

    const me = (cookie: string) => send(url, 'GET', '/me', { cookie });

    it('uses the backend it was given', () => {
      expect(sample.backend).toBe(backend);
      if (backend === 'valkey') expect(sample.valkeyUrl).toBe(connection?.url);
      if (connection) expectConnectedAsGiven(sample, connection);
    });

    describe('POST /auth/login (passport-local before MaxSessionsGuard)', () => {
      it('good credentials: 200, a hardened session cookie, and the body names the cookie\'s session', async () => {
        const { answer, id, cookie } = await login('alice');
        const header = answer.setCookies.find((c) => c.startsWith('axess.sid='))!;
        const parsed = parseSetCookie(header);
        expect(parsed.httpOnly).toBe(true);
        expect(parsed.secure).toBe(true);
        expect(String(parsed.sameSite).toLowerCase()).toBe('lax');
        expect(parsed.path).toBe('/');
        expect(answer.body).toEqual({ userId: 'alice', sessionId: id });
        const seen = await me(cookie);
        expect(seen.status).toBe(200);
        expect(seen.body).toEqual({ userId: 'alice', sessionId: id });
      });

      it('a bad password: 401 and no session cookie', async () => {
        const answer = await send(url, 'POST', '/auth/login', { body: { username: 'alice', password: 'bob-password' } });
        expect(answer.status).toBe(401);
        expect(cookiePair(answer)).toBeUndefined();
      });

      it('an unknown user: 401 and no session cookie', async () => {
        const answer = await send(url, 'POST', '/auth/login', { body: { username: 'mallory', password: 'mallory-password' } });
        expect(answer.status).toBe(401);
        expect(cookiePair(answer)).toBeUndefined();
      });

      it.each([
        ['no body', undefined],
        ['an empty object', {}],
        ['no password', { username: 'alice' }],
        ['no username', { password: 'alice-password' }],
        ['non-string fields', { username: ['alice'], password: { $ne: '' } }],
      ])('%s: 401 from passport-local, no session cookie, never 500', async (_label, body) => {
        const answer = await send(url, 'POST', '/auth/login', { body });
        expect(answer.status).toBe(401);
        expect(cookiePair(answer)).toBeUndefined();
      });

      it('logging in again as the same user keeps the session already bound to that user (no new cookie)', async () => {
        const first = await login('alice');
        const again = await send(url, 'POST', '/auth/login', { cookie: first.cookie, body: { username: 'alice', password: 'alice-password' } });
        expect(again.status).toBe(200);
        expect(again.body).toEqual({ userId: 'alice', sessionId: first.id });
        expect(cookiePair(again)).toBeUndefined();
        expect((await me(first.cookie)).body).toEqual({ userId: 'alice', sessionId: first.id });
      });

      it('rotates the id: after bob logs in over alice\'s cookie in the same browser, that cookie no longer works', async () => {
        const alice = await login('alice');
        const bob = await login('bob', alice.cookie);
        expect(bob.id).not.toBe(alice.id);
        expect((await me(bob.cookie)).body).toEqual({ userId: 'bob', sessionId: bob.id });
        expect((await me(alice.cookie)).status).toBe(401);
      });
    });

    describe('the cap of 3 sessions per user', () => {
      it('a 4th login evicts the oldest: its cookie gets 401, the 3 newest get 200 and are listed oldest first', async () => {
        const logins = [];
        for (let i = 0; i < 4; i++) logins.push(await login('alice', undefined, `browser-${i}`));
        expect((await me(logins[0].cookie)).status).toBe(401);
        for (const l of logins.slice(1)) {
          const seen = await me(l.cookie);
          expect(seen.status).toBe(200);
          expect(seen.body).toEqual({ userId: 'alice', sessionId: l.id });
        }

        const listed = await send(url, 'GET', '/auth/sessions', { cookie: logins[3].cookie });
        expect(listed.status).toBe(200);
        expect(listed.body.map((s: { id: string }) => s.id)).toEqual(logins.slice(1).map((l) => l.id));
        expect(listed.body.filter((s: { current: boolean }) => s.current)).toEqual([expect.objectContaining({ id: logins[3].id })]);
        listed.body.forEach((s: { ip?: string; userAgent?: string }, i: number) => {
          expect(s.ip).toMatch(/127\.0\.0\.1/);
          expect(s.userAgent).toBe(`browser-${i + 1}`);
        });
      });

      it('GET /auth/sessions without a session: 401', async () => {
        expect((await send(url, 'GET', '/auth/sessions')).status).toBe(401);
      });
    });

    describe('DELETE /auth/sessions/:id', () => {
      it('revoking one\'s own other session: 200, and that session\'s next request gets 401', async () => {
        const phone = await login('alice');
        const laptop = await login('alice');
        const answer = await send(url, 'DELETE', `/auth/sessions/${phone.id}`, { cookie: laptop.cookie });
        expect(answer.status).toBe(200);
        expect((await me(phone.cookie)).status).toBe(401);
        expect((await me(laptop.cookie)).status).toBe(200);
      });

      it('bob revoking alice\'s session id: 404, and alice\'s session still works', async () => {
        const alice = await login('alice');
        const bob = await login('bob');
        const answer = await send(url, 'DELETE', `/auth/sessions/${alice.id}`, { cookie: bob.cookie });
        expect(answer.status).toBe(404);
        const seen = await me(alice.cookie);
        expect(seen.status).toBe(200);
        expect(seen.body).toEqual({ userId: 'alice', sessionId: alice.id });
        expect((await me(bob.cookie)).status).toBe(200);
      });

      it.each([
        ['an unknown minted id', () => mintSessionId()],
        ['a malformed id', () => 'not-a-session-id'],
        ['a wildcard', () => '*'],
      ])('%s: 404, never 500', async (_label, id) => {
        const alice = await login('alice');
        const answer = await send(url, 'DELETE', `/auth/sessions/${encodeURIComponent(id())}`, { cookie: alice.cookie });
        expect(answer.status).toBe(404);
        expect((await me(alice.cookie)).status).toBe(200);
      });

      it('without a session: 401', async () => {
        const alice = await login('alice');
        expect((await send(url, 'DELETE', `/auth/sessions/${alice.id}`)).status).toBe(401);
        expect((await me(alice.cookie)).status).toBe(200);
      });
    });

    describe('POST /auth/logout', () => {
      it('200, and the old cookie gets 401 afterwards; other sessions of the user survive', async () => {
        const other = await login('alice');
        const current = await login('alice');
        const answer = await send(url, 'POST', '/auth/logout', { cookie: current.cookie });
        expect(answer.status).toBe(200);
        expect((await me(current.cookie)).status).toBe(401);
        expect((await send(url, 'POST', '/auth/logout', { cookie: current.cookie })).status).toBe(401);
        expect((await me(other.cookie)).status).toBe(200);
      });
    });

    describe('forged cookies', () => {
      let real: { cookie: string; id: string };
      beforeAll(async () => {
        real = await login('alice');
      });

      const forgeries: Array<[string, () => string]> = [
        ['the real id with a wrong MAC', () => `axess.sid=${real.id}.${randomBytes(32).toString('base64url')}`],
        ['a random id with a random MAC', () => `axess.sid=${mintSessionId()}.${randomBytes(32).toString('base64url')}`],
        ['the real id re-signed with another key', () => `axess.sid=${new CookieSigner(randomBytes(32)).sign(real.id)}`],
        ['a truncated cookie', () => real.cookie.slice(0, -5)],
        ['the id without MAC', () => `axess.sid=${real.id}`],
      ];

      it.each(forgeries)('%s: 401 on /me, never 500, and no session is handed out', async (_label, forge) => {
        const answer = await me(forge());
        expect(answer.status).toBe(401);
        expect(answer.body).not.toHaveProperty('userId');
        expect(cookiePair(answer)).toBeUndefined();
      });

      it('the real cookie, signed with the app\'s key, still works (the forgeries were refused for their MAC)', async () => {
        expect(`axess.sid=${new CookieSigner(Buffer.from(signingKey, 'base64')).sign(real.id)}`).toBe(real.cookie);
        expect((await me(real.cookie)).status).toBe(200);
      });
    });

    describe('GET /health', () => {
      it('200 { status: "up" } while the backend answers', async () => {
        const answer = await send(url, 'GET', '/health');
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ status: 'up', backend });
      });
    });
  });
}
