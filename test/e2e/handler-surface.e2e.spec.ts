import { Controller, Get, Injectable, Module, Post, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { request as httpRequest } from 'node:http';
import {
  AxessAuthenticatedGuard,
  AxessSession,
  AxessSessionService,
  CurrentSession,
  MaxSessions,
  MaxSessionsGuard,
  type AxessSessionModuleOptions,
} from '../../src/index';
import { startModuleApp, type AdapterName, type ModuleApp } from '../harness/module-app';
import { CommandLog } from '../harness/command-log';
import { cookiePair, send } from '../harness/http-app';

/**
 * What handlers touch, over real HTTP on Express and Fastify: values changed in place are saved
 * (and only requests that read data pay for the check), caps computed per user, and the
 * `cookie.secure` modes. The routes live in a feature module that does not import the session
 * module (it is global).
 */

interface Cart {
  items: string[];
}

/** Trusts `x-user` / `x-role` headers as the app's own authentication would set `req.user`. */
@Injectable()
class HeaderAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const id = req.headers['x-user'];
    if (id) req.user = { id, role: req.headers['x-role'] ?? 'member' };
    return true;
  }
}

type TestUser = { id: string; role: string };

@Controller()
class HandlerController {
  constructor(private readonly sessions: AxessSessionService) {}

  @Post('login')
  @UseGuards(HeaderAuthGuard, MaxSessionsGuard)
  login(@CurrentSession() session: AxessSession) {
    return { sessionId: session.id };
  }

  /** A route-level cap function: 2 for everyone. */
  @Post('login-capped')
  @MaxSessions((user: TestUser) => (user.role === 'auditor' ? 1 : 2))
  @UseGuards(HeaderAuthGuard, MaxSessionsGuard)
  loginCapped(@CurrentSession() session: AxessSession) {
    return { sessionId: session.id };
  }

  @Get('me')
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, sessionId: session.id };
  }

  @Post('cart/start')
  start(@CurrentSession() session: AxessSession) {
    session.set('cart', { items: [] } satisfies Cart);
    return {};
  }

  @Get('cart')
  cart(@CurrentSession() session: AxessSession) {
    return (session.get('cart') as Cart | undefined) ?? null;
  }

  /** The express-session habit: change what `get` returned, never call `set`. */
  @Post('cart/push-in-place')
  push(@CurrentSession() session: AxessSession) {
    (session.get('cart') as Cart).items.push(`item-${(session.get('cart') as Cart).items.length}`);
    return {};
  }

  /** The same through the data view. */
  @Post('cart/push-through-data')
  pushThroughData(@CurrentSession() session: AxessSession) {
    (session.data.cart as Cart).items.push('via-data');
    return {};
  }

  @Get('sessions')
  @UseGuards(AxessAuthenticatedGuard)
  async list(@CurrentSession() session: AxessSession) {
    return (await this.sessions.listSessions(session.userId!, session.id)).map((s) => s.handle);
  }
}

@Module({ controllers: [HandlerController], providers: [HeaderAuthGuard] })
class FeatureModule {}

const start = (adapter: AdapterName, overrides: Partial<AxessSessionModuleOptions> = {}, trustProxy = false) =>
  startModuleApp(adapter, FeatureModule, overrides, trustProxy);

async function login(url: string, user: string, path = '/login', role = 'member'): Promise<string> {
  const answer = await send(url, 'POST', path, { headers: { 'x-user': user, 'x-role': role } });
  expect(answer.status).toBe(201);
  return cookiePair(answer)!;
}

/** A raw request with a Host header of our choosing (fetch does not let tests set Host). */
function requestWithHost(port: number, path: string, host: string, headers: Record<string, string> = {}): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { host, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers['set-cookie'] ?? []));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each<AdapterName>(['express', 'fastify'])('handlers on %s', (adapter) => {
  describe('in-place changes to session data', () => {
    let t: ModuleApp;
    beforeAll(async () => {
      t = await start(adapter, { cookie: { secure: false } });
    });
    afterAll(() => t.close());

    it('a value read with get and changed in place is saved, as express-session users expect', async () => {
      const cookie = cookiePair(await send(t.url, 'POST', '/cart/start'))!;
      await send(t.url, 'POST', '/cart/push-in-place', { cookie });
      await send(t.url, 'POST', '/cart/push-in-place', { cookie });
      expect((await send(t.url, 'GET', '/cart', { cookie })).body).toEqual({ items: ['item-0', 'item-1'] });
    });

    it('a value reached through session.data and changed in place is saved too', async () => {
      const cookie = cookiePair(await send(t.url, 'POST', '/cart/start'))!;
      await send(t.url, 'POST', '/cart/push-through-data', { cookie });
      expect((await send(t.url, 'GET', '/cart', { cookie })).body).toEqual({ items: ['via-data'] });
    });

    it('on a signed-in session: a request that reads no data sends one command, reading without changing writes nothing', async () => {
      const cookie = await login(t.url, 'reader');
      await send(t.url, 'POST', '/cart/start', { cookie });
      const log = new CommandLog(t.client);
      try {
        await send(t.url, 'GET', '/me', { cookie });
        expect(log.commands).toEqual(['getex']);
        log.reset();
        await send(t.url, 'GET', '/cart', { cookie });
        expect(log.commands).toEqual(['getex']);
        log.reset();
        await send(t.url, 'POST', '/cart/push-in-place', { cookie });
        expect(log.commands).toEqual(['getex', 'set']);
      } finally {
        log.restore();
      }
    });

    it('on an anonymous session: the read also shortens its expiry back to the anonymous idle timeout, and nothing is written', async () => {
      const cookie = cookiePair(await send(t.url, 'POST', '/cart/start'))!;
      const log = new CommandLog(t.client);
      try {
        await send(t.url, 'GET', '/cart', { cookie });
        for (let i = 0; i < 50 && !log.commands.includes('pexpire'); i++) await t.client.ping();
        expect(log.commands.filter((c) => c !== 'ping')).toEqual(['getex', 'pexpire']);
      } finally {
        log.restore();
      }
    });
  });

  describe('caps computed per user', () => {
    let t: ModuleApp;
    beforeAll(async () => {
      t = await start(adapter, {
        cookie: { secure: false },
        // Spring Security's SessionLimit: admins 1, everyone else 3.
        maxSessionsPerUser: async (user: TestUser) => (user.role === 'admin' ? 1 : 3),
      });
    });
    afterAll(() => t.close());

    it('the module option: an admin keeps one session, a member three', async () => {
      const first = await login(t.url, 'root', '/login', 'admin');
      const second = await login(t.url, 'root', '/login', 'admin');
      expect((await send(t.url, 'GET', '/me', { cookie: first })).status).toBe(401);
      expect((await send(t.url, 'GET', '/me', { cookie: second })).status).toBe(200);

      const members = [await login(t.url, 'bob'), await login(t.url, 'bob'), await login(t.url, 'bob')];
      for (const cookie of members) expect((await send(t.url, 'GET', '/me', { cookie })).status).toBe(200);
      await login(t.url, 'bob');
      expect((await send(t.url, 'GET', '/me', { cookie: members[0] })).status).toBe(401);
    });

    it('@MaxSessions(function) on the route wins over the module option', async () => {
      const a = await login(t.url, 'carol', '/login-capped');
      const b = await login(t.url, 'carol', '/login-capped');
      await login(t.url, 'carol', '/login-capped');
      expect((await send(t.url, 'GET', '/me', { cookie: a })).status).toBe(401);
      expect((await send(t.url, 'GET', '/me', { cookie: b })).status).toBe(200);
    });

    it('a cap function answering something that is not a whole number ≥ 1 fails the login instead of letting it escape the cap', async () => {
      const answer = await send(t.url, 'POST', '/login-capped', { headers: { 'x-user': 'dave', 'x-role': 'auditor' } });
      expect(answer.status).toBe(201);
      const broken = await start(adapter, { cookie: { secure: false }, maxSessionsPerUser: () => 0 });
      try {
        const refused = await send(broken.url, 'POST', '/login', { headers: { 'x-user': 'erin' } });
        expect(refused.status).toBe(500);
        expect(cookiePair(refused)).toBeUndefined();
      } finally {
        await broken.close();
      }
    });
  });

  describe('cookie.secure', () => {
    it("'auto' over plain http: no Secure attribute, so a plain-http client (supertest, curl) gets the cookie back", async () => {
      const t = await start(adapter, { cookie: { secure: 'auto' } });
      try {
        const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': 'frank' } });
        const header = answer.setCookies.find((c) => c.startsWith('axess.sid='))!;
        expect(header).not.toMatch(/;\s*Secure/i);
        expect((await send(t.url, 'GET', '/me', { cookie: cookiePair(answer) })).status).toBe(200);
        // An untrusted X-Forwarded-Proto changes nothing.
        const spoofed = await send(t.url, 'POST', '/login', { headers: { 'x-user': 'frank', 'x-forwarded-proto': 'https' } });
        expect(spoofed.setCookies.find((c) => c.startsWith('axess.sid='))).not.toMatch(/;\s*Secure/i);
      } finally {
        await t.close();
      }
    });

    it("'auto' behind a trusted proxy that says https: Secure", async () => {
      const t = await start(adapter, { cookie: { secure: 'auto' } }, true);
      try {
        const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': 'grace', 'x-forwarded-proto': 'https' } });
        expect(answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='))).toMatch(/;\s*Secure/i);
      } finally {
        await t.close();
      }
    });

    it('true (the default) over plain http to a non-loopback host: warns once, naming the option', async () => {
      const t = await start(adapter);
      try {
        const cookies = await requestWithHost(t.port, '/login', 'app.example', { 'x-user': 'heidi' });
        expect(cookies.find((c) => c.startsWith('__Host-axess.sid='))).toMatch(/;\s*Secure/i);
        await requestWithHost(t.port, '/login', 'app.example', { 'x-user': 'ivan' });
        const warnings = t.logger.warnings.filter((w) => w.includes('cookie.secure'));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/plain-http/);
      } finally {
        await t.close();
      }
    });

    it('true over plain http to localhost (which browsers treat as secure): no warning', async () => {
      const t = await start(adapter);
      try {
        await requestWithHost(t.port, '/login', `localhost:${t.port}`, { 'x-user': 'judy' });
        await requestWithHost(t.port, '/login', `127.0.0.1:${t.port}`, { 'x-user': 'judy' });
        expect(t.logger.warnings.filter((w) => w.includes('cookie.secure'))).toEqual([]);
      } finally {
        await t.close();
      }
    });
  });
});
