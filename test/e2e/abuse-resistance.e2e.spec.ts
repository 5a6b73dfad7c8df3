import {
  Body,
  Controller,
  Get,
  Header,
  Injectable,
  Module,
  Post,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  AxessAuthenticatedGuard,
  AxessHealthService,
  AxessSession,
  AxessSessionService,
  CurrentSession,
  MaxSessionsGuard,
} from '../../src/index';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { startModuleApp, type AdapterName, type ModuleApp } from '../harness/module-app';
import { cookiePair, send } from '../harness/http-app';

/**
 * What a stranger can do to an app built on the library, and what it no longer achieves, on
 * Express and Fastify with real Valkey: long-lived anonymous records, user ids the key layout
 * used to refuse, planted cookies, shared caches, and a Valkey out of memory nobody hears of.
 */

/** The app's authentication stand-in: the user object comes from the JSON body (any string, lone surrogates included). */
@Injectable()
class BodyUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ body?: { user?: unknown }; user?: unknown }>();
    if (req.body && 'user' in req.body) req.user = { id: req.body.user };
    return true;
  }
}

@Controller()
class AbuseController {
  constructor(
    private readonly sessions: AxessSessionService,
    private readonly health: AxessHealthService,
  ) {}

  @Post('login')
  @UseGuards(BodyUserGuard, MaxSessionsGuard)
  login(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, sessionId: session.id };
  }

  @Get('me')
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, sessionId: session.id };
  }

  @Get('sessions')
  @UseGuards(AxessAuthenticatedGuard)
  async list(@CurrentSession() session: AxessSession) {
    return (await this.sessions.listSessions(session.userId!, session.id)).map((s) => s.handle);
  }

  /** An anonymous visitor's cart. */
  @Post('cart')
  cart(@CurrentSession() session: AxessSession, @Body('item') item: string) {
    session.set('anonymousCart', [item]);
    return {};
  }

  @Get('peek')
  peek(@CurrentSession() session: AxessSession) {
    return { id: session.id ?? null };
  }

  /** A route that caches its own way and also changes the session. */
  @Post('cached-login')
  @Header('Cache-Control', 'private, max-age=60')
  @UseGuards(BodyUserGuard, MaxSessionsGuard)
  cachedLogin() {
    return {};
  }

  @Post('logout')
  async logout(@CurrentSession() session: AxessSession) {
    session.destroy();
    return {};
  }

  @Get('health')
  check() {
    return this.health.check(500);
  }
}

@Module({ controllers: [AbuseController], providers: [BodyUserGuard] })
class AbuseModule {}

const MINUTE = 60_000;

describe.each<AdapterName>(['express', 'fastify'])('abuse resistance on %s', (adapter) => {
  let t: ModuleApp;
  beforeAll(async () => {
    t = await startModuleApp(adapter, AbuseModule, { cookie: { secure: false }, maxSessionsPerUser: 2 });
  });
  afterAll(() => t.close());

  const login = async (user: unknown, cookie?: string) => send(t.url, 'POST', '/login', { cookie, body: { user } });
  const sessionKey = (cookie: string) => `${t.prefix}:sess:${cookie.split('=')[1].split('.')[0]}`;

  describe('anonymous sessions live short', () => {
    it('a session stored before any sign-in expires after 15 minutes idle, not the signed-in 30, and a read does not stretch it', async () => {
      const cookie = cookiePair(await send(t.url, 'POST', '/cart', { body: { item: 'book' } }))!;
      expect(await t.client.pttl(sessionKey(cookie))).toBeGreaterThan(14 * MINUTE);
      expect(await t.client.pttl(sessionKey(cookie))).toBeLessThanOrEqual(15 * MINUTE);
      await send(t.url, 'GET', '/peek', { cookie });
      // The read's own sliding expiry and the shortening that follows it are sent one after the other.
      let ttl = Infinity;
      for (let i = 0; i < 50 && ttl > 15 * MINUTE; i++) ttl = await t.client.pttl(sessionKey(cookie));
      expect(ttl).toBeLessThanOrEqual(15 * MINUTE);
    });

    it('signing in moves the session to the signed-in idle timeout', async () => {
      const anonymous = cookiePair(await send(t.url, 'POST', '/cart', { body: { item: 'pen' } }))!;
      const signedIn = cookiePair(await login('ada', anonymous))!;
      // The signed-in default (30 min), twice the anonymous one.
      expect(await t.client.pttl(sessionKey(signedIn))).toBeGreaterThan(29 * MINUTE);
      expect(await t.client.pttl(sessionKey(signedIn))).toBeLessThanOrEqual(30 * MINUTE);
    });
  });

  describe('any user id', () => {
    it.each([
      ['600 bytes', 'u'.repeat(600)],
      ['10,000 characters', 'token-'.repeat(1667)],
      ['a lone surrogate', 'eve\ud800'],
      ['key syntax', '{tag}:reg:*'],
    ])('%s: signs in, is capped, listed and told apart from its look-alikes', async (_label, user) => {
      const first = await login(user);
      expect(first.status).toBe(201);
      expect(first.body.userId).toBe(user);
      const second = await login(user);
      const third = await login(user);
      expect((await send(t.url, 'GET', '/me', { cookie: cookiePair(first) })).status).toBe(401);
      const listed = await send(t.url, 'GET', '/sessions', { cookie: cookiePair(third) });
      const handleOf = (id: string) => t.app.get(AxessSessionService).sessionHandle(id);
      expect(listed.body).toEqual([second.body.sessionId, third.body.sessionId].map(handleOf));
      const lookAlike = await login(user.isWellFormed() ? `${user}x` : user.toWellFormed());
      expect((await send(t.url, 'GET', '/sessions', { cookie: cookiePair(lookAlike) })).body).toEqual([handleOf(lookAlike.body.sessionId)]);
    });

    it('an empty id is refused at the guard: 401 with a reason, no cookie, and a warning that names userIdFrom', async () => {
      const answer = await login('');
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ statusCode: 401, message: 'Unauthorized', reason: 'no-user-id' });
      expect(cookiePair(answer)).toBeUndefined();
      expect(t.logger.warnings.some((w) => w.includes('userIdFrom'))).toBe(true);
      expect(t.logger.errors).toEqual([]);
    });
  });

  describe('planted cookies', () => {
    it.each([
      ['garbage', () => 'axess.sid=garbage'],
      ['an empty value', () => 'axess.sid='],
      ['a forged MAC', (real: string) => `${real.slice(0, -4)}AAAA`],
    ])('%s ahead of the real cookie does not hide it', async (_label, planted) => {
      const real = cookiePair(await login('grace'))!;
      const seen = await send(t.url, 'GET', '/me', { cookie: `${planted(real)}; ${real}` });
      expect(seen.status).toBe(200);
      expect(seen.body.userId).toBe('grace');
    });

    it('a validly signed cookie of an ended session ahead of the live one does not hide it', async () => {
      const ended = cookiePair(await login('heidi'))!;
      await send(t.url, 'POST', '/logout', { cookie: ended });
      const live = cookiePair(await login('heidi'))!;
      const seen = await send(t.url, 'GET', '/me', { cookie: `${ended}; ${live}` });
      expect(seen.body.userId).toBe('heidi');
    });
  });

  describe('caching', () => {
    it('a response that sets the session cookie is no-store; one that clears it too; one of a signed-in session too (noStoreAuthenticated)', async () => {
      const signedIn = await login('ivan');
      expect(signedIn.headers['cache-control']).toBe('no-store');
      const me = await send(t.url, 'GET', '/me', { cookie: cookiePair(signedIn) });
      expect(me.setCookies).toEqual([]);
      expect(me.headers['cache-control']).toBe('no-store');
      const out = await send(t.url, 'POST', '/logout', { cookie: cookiePair(signedIn) });
      expect(out.setCookies.some((c) => c.startsWith('axess.sid=;'))).toBe(true);
      expect(out.headers['cache-control']).toBe('no-store');
    });

    it("an app's own Cache-Control stands (that is how an app overrides it)", async () => {
      const answer = await send(t.url, 'POST', '/cached-login', { body: { user: 'judy' } });
      expect(cookiePair(answer)).toBeDefined();
      expect(answer.headers['cache-control']).toBe('private, max-age=60');
    });
  });
});

describe.each<AdapterName>(['express', 'fastify'])('operators see store failures on %s', (adapter) => {
  let server: ValkeyTestServer;
  let t: ModuleApp;
  beforeAll(async () => {
    server = await startValkeyServer();
    t = await startModuleApp(adapter, AbuseModule, {
      client: undefined,
      connection: { url: server.url },
      cookie: { secure: false },
      commandTimeoutMs: 500,
    });
  });
  afterAll(async () => {
    await t.close();
    await server.stop();
  });

  it('out of memory: logins answer 503 and the log says out-of-memory once, not once per request', async () => {
    const admin = await import('iovalkey').then(({ Redis }) => new Redis(server.url));
    try {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      for (let i = 0; i < 5; i++) expect((await login(`oom-${i}`)).status).toBe(503);
      const lines = t.logger.errors.filter((line) => line.includes('out-of-memory'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toMatch(/oom-\d/);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      admin.disconnect();
    }
    expect((await login('after-oom')).status).toBe(201);
  });

  it('Valkey gone: the health check answers down with a fixed reason, never the client error text', async () => {
    expect((await send(t.url, 'GET', '/health')).body).toMatchObject({ status: 'up' });
    await server.stop();
    const down = await send(t.url, 'GET', '/health');
    expect(down.body).toEqual({ status: 'down', backend: 'valkey', error: expect.stringMatching(/^(unavailable|timeout)$/) });
    expect(t.logger.errors.some((line) => /unreachable|timeout/.test(line))).toBe(true);
  });

  async function login(user: string) {
    return send(t.url, 'POST', '/login', { body: { user } });
  }
});
