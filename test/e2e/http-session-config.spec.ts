import { Controller, Get, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { parseSetCookie } from 'cookie';
import { Redis } from 'iovalkey';
import { randomBytes } from 'node:crypto';
import {
  AxessSession,
  AxessSessionMiddleware,
  AxessSessionModule,
  CurrentSession,
  findAxessSession,
  SessionStore,
} from '../../src/internal';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { withTestClient } from '../harness/valkey-hooks';
import { cookiePair, send, startTestApp, type AdapterName, type TestApp } from '../harness/http-app';

const ADAPTERS: AdapterName[] = ['express', 'fastify'];
const user = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

describe.each(ADAPTERS)('HTTP session layer configuration on %s', (adapter) => {
  describe('cookie overrides', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(adapter, 'memory', {
        cookie: { name: 'app_sid', secure: false, httpOnly: false, sameSite: 'strict', path: '/', domain: 'example.test' },
      });
    });
    afterAll(() => t.close());

    it('uses the configured name and attributes, and reads the cookie back by that name', async () => {
      const created = await send(t.url, 'POST', '/data', { body: { a: 1 } });
      const header = created.setCookies.find((c) => c.startsWith('app_sid='))!;
      const parsed = parseSetCookie(header);
      expect(parsed).toMatchObject({ name: 'app_sid', sameSite: 'strict', path: '/', domain: 'example.test' });
      expect(parsed.secure).toBeUndefined();
      expect(parsed.httpOnly).toBeUndefined();
      const cookie = cookiePair(created, 'app_sid');
      expect((await send(t.url, 'GET', '/data', { cookie })).body.data).toEqual({ a: 1 });
      // The default name means nothing to this app.
      expect((await send(t.url, 'GET', '/data', { cookie: cookie!.replace('app_sid', 'axess.sid') })).body.id).toBeNull();
    });

    it('a __Host- name keeps Secure and Path=/ with no Domain', async () => {
      const host = await startTestApp(adapter, 'memory', { cookie: { name: '__Host-sid' } });
      try {
        const created = await send(host.url, 'POST', '/data', { body: { a: 1 } });
        const parsed = parseSetCookie(created.setCookies[0]);
        expect(parsed).toMatchObject({ name: '__Host-sid', secure: true, path: '/' });
        expect(parsed.domain).toBeUndefined();
      } finally {
        await host.close();
      }
    });
  });

  describe('when Valkey fails', () => {
    let server: ValkeyTestServer;
    let client: Redis;
    let t: TestApp;
    beforeAll(async () => {
      server = await startValkeyServer();
      // Fail fast instead of queueing while disconnected, as a production client with a timeout would.
      client = new Redis(server.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
      await new Promise((resolve) => client.once('ready', resolve));
      t = await startTestApp(adapter, 'valkey', { client, maxSessionsPerUser: 2 });
    });
    afterAll(async () => {
      await t?.close();
      // disconnect() on an ended client would arm a 2 s socket timer for nothing.
      if (client.status !== 'end') client.disconnect();
      await server.stop();
    });

    it('answers 503 (never 500, never a hang) and keeps serving visitors without a session', async () => {
      const cookie = cookiePair(await send(t.url, 'POST', '/data', { body: { a: 1 } }));
      expect((await send(t.url, 'GET', '/data', { cookie })).body.data).toEqual({ a: 1 });
      await server.stop();
      await new Promise<void>((resolve) => (client.status === 'end' ? resolve() : client.once('end', () => resolve())));

      const load = await send(t.url, 'GET', '/data', { cookie });
      expect(load.status).toBe(503);
      const write = await send(t.url, 'POST', '/data', { body: { b: 2 } });
      expect(write.status).toBe(503);
      expect(write.setCookies).toEqual([]);
      const loginAttempt = await send(t.url, 'POST', '/login', { headers: { 'x-user': user('down') } });
      expect(loginAttempt.status).toBe(503);
      // No cookie, nothing to load: the app still answers.
      expect((await send(t.url, 'GET', '/visit')).status).toBe(200);
    });
  });

  describe('when admission fails on a Valkey error', () => {
    const valkey = withTestClient();

    /** Makes the user's registry key a string, so every registry command gets a WRONGTYPE error reply. */
    async function breakRegistry(prefix: string, name: string): Promise<void> {
      await valkey.client.set(`${prefix}:reg:${name}`, 'not a sorted set');
    }

    it('fails closed by default: 503, no signed-in session left behind, no cookie; the anonymous session stays as it was', async () => {
      const t = await startTestApp(adapter, 'valkey', { maxSessionsPerUser: 2 });
      try {
        const name = user('closed');
        await breakRegistry(t.prefix, name);
        const anonymous = cookiePair(await send(t.url, 'POST', '/data', { body: { a: 1 } }));
        const answer = await send(t.url, 'POST', '/login', { cookie: anonymous, headers: { 'x-user': name } });
        expect(answer.status).toBe(503);
        expect(answer.setCookies).toEqual([]);
        // Only the anonymous record: the new one is discarded, and the anonymous one retires only once admitted.
        expect(await valkey.client.keys(`${t.prefix}:sess:*`)).toHaveLength(1);
        expect((await send(t.url, 'GET', '/me', { cookie: anonymous })).status).toBe(401);
      } finally {
        await t.close();
      }
    });

    it('lets the login through with failOpen', async () => {
      const t = await startTestApp(adapter, 'valkey', { maxSessionsPerUser: 2, failOpen: true });
      try {
        const name = user('open');
        await breakRegistry(t.prefix, name);
        const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': name } });
        expect(answer.status).toBe(200);
        expect((await send(t.url, 'GET', '/me', { cookie: cookiePair(answer) })).body.userId).toBe(name);
      } finally {
        await t.close();
      }
    });
  });

  it('works under a global prefix', async () => {
    const t = await startTestApp(adapter, 'memory', {}, { globalPrefix: 'api' });
    try {
      const created = await send(t.url, 'POST', '/api/data', { body: { a: 1 } });
      expect(created.status).toBe(200);
      const cookie = cookiePair(created);
      expect((await send(t.url, 'GET', '/api/data', { cookie })).body.data).toEqual({ a: 1 });
      expect((await send(t.url, 'GET', '/api', { cookie })).body.id).toBe(cookie!.split('=')[1].split('.')[0]);
    } finally {
      await t.close();
    }
  });

  describe('mounted by the module', () => {
    @Controller()
    class ProbeController {
      @Get('probe')
      probe(@CurrentSession() session: AxessSession) {
        return { id: session.id ?? null };
      }
    }

    it("runs before the app's own middleware (app.use): it finds the session already loaded", async () => {
      const options = { store: 'memory' as const, encryptionKey: randomKey(), signingKey: randomKey(), prefix: uniquePrefix() };

      @Module({ imports: [AxessSessionModule.forRoot(options)], controllers: [ProbeController] })
      class Root {}

      const ref = await Test.createTestingModule({ imports: [Root] }).compile();
      const app =
        adapter === 'fastify'
          ? ref.createNestApplication(new (await import('@nestjs/platform-fastify')).FastifyAdapter(), { logger: false })
          : ref.createNestApplication({ logger: false });
      const seen: boolean[] = [];
      app.use((req: unknown, _res: unknown, next: () => void) => {
        seen.push(findAxessSession(req) !== undefined);
        next();
      });
      await app.init();
      if (adapter === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
      await app.listen(0, '127.0.0.1');
      try {
        const answer = await send((await app.getUrl()).replace('[::1]', '127.0.0.1'), 'GET', '/probe');
        expect(answer.status).toBe(200);
        expect(seen).toEqual([true]);
      } finally {
        await app.close();
      }
    });
  });

  describe('mountMiddleware: false', () => {
    @Controller()
    class ProbeController {
      @Get('probe')
      probe(@CurrentSession() session: AxessSession) {
        session.set('seen', true);
        return { ok: true };
      }
    }

    it('does not mount the middleware; one line in the app mounts it', async () => {
      const options = {
        store: 'memory' as const,
        encryptionKey: randomKey(),
        signingKey: randomKey(),
        prefix: uniquePrefix(),
        mountMiddleware: false,
      };

      @Module({ imports: [AxessSessionModule.forRoot(options)], controllers: [ProbeController] })
      class Unmounted {}

      @Module({ imports: [AxessSessionModule.forRoot(options)], controllers: [ProbeController] })
      class Mounted implements NestModule {
        configure(consumer: MiddlewareConsumer): void {
          consumer.apply(AxessSessionMiddleware).forRoutes('{*path}');
        }
      }

      for (const [root, expected] of [
        [Unmounted, 500],
        [Mounted, 200],
      ] as const) {
        const ref = await Test.createTestingModule({ imports: [root] }).compile();
        const app =
          adapter === 'fastify'
            ? ref.createNestApplication(new (await import('@nestjs/platform-fastify')).FastifyAdapter(), { logger: false })
            : ref.createNestApplication({ logger: false });
        await app.init();
        if (adapter === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
        await app.listen(0, '127.0.0.1');
        try {
          const answer = await send((await app.getUrl()).replace('[::1]', '127.0.0.1'), 'GET', '/probe');
          expect(answer.status).toBe(expected);
          if (expected === 200) {
            const cookie = cookiePair(answer);
            expect(cookie).toBeDefined();
            expect((await app.get(SessionStore).existing([cookie!.split('=')[1].split('.')[0]])).size).toBe(1);
          }
        } finally {
          await app.close();
        }
      }
    });
  });
});
