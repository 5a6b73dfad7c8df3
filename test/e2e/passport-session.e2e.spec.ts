import { Controller, Get, Module, UseGuards, type INestApplication, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Redis } from 'iovalkey';
import passport from 'passport';
import {
  AxessAuthenticatedGuard,
  AxessSessionMiddleware,
  AxessSessionModule,
  AxessSessionService,
  CurrentSession,
  type AxessSession,
} from '../../src/index';
import { cookiePair, send, type Answer } from '../harness/http-app';
import { listenOnLoopback } from '../harness/listen';
import { CommandLog } from '../harness/command-log';
import { CapturingLogger } from '../harness/module-app';
import { DocsAuthModule } from '../harness/passport-session.app';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

/** A route of the library's own, next to the recipe's: the ended reason through `AxessAuthenticatedGuard`. */
@Controller()
class AxessProbeController {
  @Get('axess/me')
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, id: session.id };
  }
}

interface PassportApp {
  app: INestApplication;
  url: string;
  prefix: string;
  client: Redis;
  logger: CapturingLogger;
  close(): Promise<void>;
}

/**
 * The NestJS docs' passport session app, unchanged but for express-session replaced by
 * AxessSessionModule; `main.ts`'s `app.use(passport.initialize())` and `app.use(passport.session())`
 * come right after the app is created, where the recipe puts them.
 */
async function startPassportApp(maxSessionsPerUser = 3): Promise<PassportApp> {
  const client = testClient();
  const prefix = uniquePrefix('passport');
  @Module({
    imports: [
      AxessSessionModule.forRoot({
        client,
        prefix,
        encryptionKey: randomKey(),
        signingKey: randomKey(),
        maxSessionsPerUser,
        cookie: { secure: false },
      }),
      DocsAuthModule,
    ],
    controllers: [AxessProbeController],
  })
  class AppModule {}
  const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const logger = new CapturingLogger();
  const { app, url } = await listenOnLoopback(ref, 'express', {
    logger,
    beforeInit: (created) => {
      created.use(passport.initialize());
      created.use(passport.session());
    },
  });
  return {
    app,
    url,
    prefix,
    client,
    logger,
    close: async () => {
      await app.close();
      await client.quit();
    },
  };
}

function signIn(url: string, username = 'john', password = 'changeme', cookie?: string): Promise<Answer> {
  return send(url, 'POST', '/auth/login', { body: { username, password }, ...(cookie ? { cookie } : {}) });
}

describe('passport session mode over axess (Express, the NestJS docs recipe unchanged)', () => {
  let t: PassportApp;
  beforeEach(async () => {
    t = await startPassportApp();
  });
  afterEach(() => t.close());

  it('signs in through super.logIn, and passport.session() restores req.user on the next request', async () => {
    const login = await signIn(t.url);
    expect(login.status).toBe(201);
    expect(login.body).toEqual({ userId: 1, username: 'john' });
    const cookie = cookiePair(login);
    expect(cookie).toBeDefined();
    const profile = await send(t.url, 'GET', '/profile', { cookie });
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual({ userId: 1, username: 'john' });
    // The session is the library's: bound to the serialized user's id, listed among the user's devices.
    const me = await send(t.url, 'GET', '/axess/me', { cookie });
    expect(me.body.userId).toBe('1');
    const sessions = t.app.get(AxessSessionService);
    const devices = await sessions.listSessions('1');
    expect(devices.map((d) => d.handle)).toEqual([sessions.sessionHandle(me.body.id)]);
  });

  it('"remember me" in the sign-in body makes a persistent cookie and a remembered session; without it a browser-session cookie', async () => {
    const remembered = await send(t.url, 'POST', '/auth/login', { body: { username: 'john', password: 'changeme', rememberMe: true } });
    expect(remembered.status).toBe(201);
    const persistent = remembered.setCookies.find((c) => c.startsWith('axess.sid='))!;
    expect(Number(/Max-Age=(\d+)/.exec(persistent)![1])).toBeGreaterThan(30 * 86_400 - 60);
    const rememberedId = (await send(t.url, 'GET', '/axess/me', { cookie: cookiePair(remembered) })).body.id as string;
    expect(await t.client.pttl(`${t.prefix}:sess:${rememberedId}`)).toBeGreaterThan(7 * 86_400_000 - 60_000);

    const plain = await signIn(t.url);
    expect(plain.setCookies.find((c) => c.startsWith('axess.sid='))).not.toMatch(/Max-Age|Expires/i);
    const plainId = (await send(t.url, 'GET', '/axess/me', { cookie: cookiePair(plain) })).body.id as string;
    expect(await t.client.pttl(`${t.prefix}:sess:${plainId}`)).toBeLessThanOrEqual(30 * 60_000);
  });

  it('adds no round trip: a signed-in request through passport.session() and req.session sends one command', async () => {
    const cookie = cookiePair(await signIn(t.url))!;
    await send(t.url, 'GET', '/profile', { cookie });
    const log = new CommandLog(t.client);
    try {
      for (const path of ['/profile', '/axess/me', '/profile']) {
        log.reset();
        expect((await send(t.url, 'GET', path, { cookie })).status).toBe(200);
        expect(log.commands).toEqual(['getex']);
        expect(log.roundTrips).toBe(1);
      }
    } finally {
      log.restore();
    }
  });

  it('a sign-in takes a small constant number of round trips, whatever the sessions the user holds', async () => {
    const log = new CommandLog(t.client);
    try {
      const trips: number[] = [];
      for (let i = 0; i < 5; i++) {
        log.reset();
        await signIn(t.url);
        trips.push(log.roundTrips);
      }
      expect(Math.max(...trips)).toBeLessThanOrEqual(5);
    } finally {
      log.restore();
    }
  });

  it('answers 403 on a guarded route without a session, as with express-session', async () => {
    expect((await send(t.url, 'GET', '/profile')).status).toBe(403);
  });

  it('rotates the id at sign-in: the cookie of the session before it no longer works', async () => {
    const before = await send(t.url, 'GET', '/views');
    const anonymous = cookiePair(before)!;
    const login = await signIn(t.url, 'john', 'changeme', anonymous);
    const signedIn = cookiePair(login)!;
    expect(signedIn).not.toEqual(anonymous);
    expect((await send(t.url, 'GET', '/profile', { cookie: signedIn })).status).toBe(200);
    expect((await send(t.url, 'GET', '/profile', { cookie: anonymous })).status).toBe(403);
  });

  it("signing in again as the same user rotates once: passport's regenerate and the sign-in make one new id", async () => {
    const first = cookiePair(await signIn(t.url))!;
    const count = (await t.app.get(AxessSessionService).listSessions('1')).length;
    const log = new CommandLog(t.client);
    let again: Answer;
    try {
      again = await signIn(t.url, 'john', 'changeme', first);
      // One new record (SET … NX) and one deletion of the old: one rotation, not a second at commit.
      expect(log.commands.filter((c) => c === 'set')).toHaveLength(1);
      expect(log.roundTrips).toBeLessThanOrEqual(5);
    } finally {
      log.restore();
    }
    const second = cookiePair(again)!;
    expect(again.setCookies.filter((c) => c.startsWith('axess.sid='))).toHaveLength(1);
    expect(second).not.toEqual(first);
    expect((await send(t.url, 'GET', '/profile', { cookie: first })).status).toBe(403);
    expect((await send(t.url, 'GET', '/profile', { cookie: second })).body).toEqual({ userId: 1, username: 'john' });
    const sessions = t.app.get(AxessSessionService);
    const devices = await sessions.listSessions('1');
    expect(devices).toHaveLength(count);
    expect(devices.map((d) => d.handle)).toEqual([sessions.sessionHandle(second.split('=')[1].split('.')[0])]);
  });

  it('applies the cap: the fourth sign-in evicts the first, whose next request sees no user and the reason', async () => {
    const cookies: string[] = [];
    for (let i = 0; i < 4; i++) cookies.push(cookiePair(await signIn(t.url))!);
    expect((await send(t.url, 'GET', '/profile', { cookie: cookies[0] })).status).toBe(403);
    const first = await send(t.url, 'GET', '/axess/me', { cookie: cookies[0] });
    expect(first.status).toBe(401);
    expect(first.body.reason).toBe('evicted:newer-sign-in');
    for (const cookie of cookies.slice(1)) expect((await send(t.url, 'GET', '/profile', { cookie })).status).toBe(200);
    expect(await t.app.get(AxessSessionService).listSessions('1')).toHaveLength(3);
  });

  it('req.logout(cb) ends the session in the registry and clears the cookie', async () => {
    const cookie = cookiePair(await signIn(t.url))!;
    const me = await send(t.url, 'GET', '/axess/me', { cookie });
    const logout = await send(t.url, 'POST', '/auth/logout', { cookie, body: {} });
    expect(logout.status).toBe(201);
    expect(logout.setCookies.some((c) => c.startsWith('axess.sid=;'))).toBe(true);
    expect(await t.app.get(AxessSessionService).listSessions('1')).toEqual([]);
    expect(await t.client.exists(`${t.prefix}:sess:${me.body.id}`)).toBe(0);
    expect((await send(t.url, 'GET', '/profile', { cookie })).status).toBe(403);
  });

  it('a revoked session makes passport see no user on its next request', async () => {
    const cookie = cookiePair(await signIn(t.url))!;
    await t.app.get(AxessSessionService).revokeAll('1');
    expect((await send(t.url, 'GET', '/profile', { cookie })).status).toBe(403);
    expect((await send(t.url, 'GET', '/axess/me', { cookie })).body.reason).toBe('revoked');
  });

  it("keeps @Session() data across requests (the recipe's session.views counter) and through sign-in", async () => {
    const first = await send(t.url, 'GET', '/views');
    expect(first.body).toEqual({ views: 1 });
    let cookie = cookiePair(first)!;
    expect((await send(t.url, 'GET', '/views', { cookie })).body).toEqual({ views: 2 });
    // passport's logIn regenerates the session, as with express-session: the counter starts again.
    cookie = cookiePair(await signIn(t.url, 'john', 'changeme', cookie))!;
    expect((await send(t.url, 'GET', '/views', { cookie })).body).toEqual({ views: 1 });
    expect((await send(t.url, 'GET', '/views', { cookie })).body).toEqual({ views: 2 });
    expect((await send(t.url, 'GET', '/profile', { cookie })).status).toBe(200);
  });

  it('signing in as another user on a signed-in session moves it to that user', async () => {
    const johnCookie = cookiePair(await signIn(t.url))!;
    const maria = await signIn(t.url, 'maria', 'guess', johnCookie);
    const cookie = cookiePair(maria)!;
    expect((await send(t.url, 'GET', '/profile', { cookie })).body).toEqual({ userId: 2, username: 'maria' });
    expect((await send(t.url, 'GET', '/profile', { cookie: johnCookie })).status).toBe(403);
    expect(await t.app.get(AxessSessionService).listSessions('1')).toEqual([]);
    expect(await t.app.get(AxessSessionService).listSessions('2')).toHaveLength(1);
  });

  it('warns once, naming the fix, when AuthGuard("local") alone authenticates a request and signs nobody in', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await send(t.url, 'POST', '/auth/check-password', { body: { username: 'john', password: 'changeme' } });
      expect(answer.status).toBe(201);
      expect(cookiePair(answer)).toBeUndefined();
    }
    const warnings = t.logger.warnings.filter((w) => w.includes('without a signed-in session'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('POST /auth/check-password');
    expect(warnings[0]).toContain('MaxSessionsGuard');
    // Sign-ins through super.logIn and sign-outs are never reported.
    const cookie = cookiePair(await signIn(t.url))!;
    await send(t.url, 'POST', '/auth/logout', { cookie, body: {} });
    expect(t.logger.warnings.filter((w) => w.includes('without a signed-in session'))).toHaveLength(1);
  });
});

describe('the unbound sign-in warning on Fastify', () => {
  /**
   * Runs `check` against the docs' passport app on Fastify (with `mountedByApp`, the app mounts
   * the session middleware itself) and answers the unbound sign-in warnings it logged.
   */
  async function unboundWarnings(mountedByApp: boolean, check: (url: string) => Promise<void>): Promise<string[]> {
    const client = testClient();
    @Module({
      imports: [
        AxessSessionModule.forRoot({
          client,
          prefix: uniquePrefix('fwarn'),
          encryptionKey: randomKey(),
          signingKey: randomKey(),
          ...(mountedByApp ? { mountMiddleware: false } : {}),
        }),
        DocsAuthModule,
      ],
    })
    class AppModule implements NestModule {
      configure(consumer: MiddlewareConsumer) {
        if (mountedByApp) consumer.apply(AxessSessionMiddleware).forRoutes('{*path}');
      }
    }
    const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const logger = new CapturingLogger();
    const { app, url } = await listenOnLoopback(ref, 'fastify', { logger });
    try {
      await check(url);
      return logger.warnings.filter((w) => w.includes('without a signed-in session'));
    } finally {
      await app.close();
      await client.quit();
    }
  }

  const checkPassword = async (url: string) => {
    const answer = await send(url, 'POST', '/auth/check-password', { body: { username: 'john', password: 'changeme' } });
    expect(answer.status).toBe(201);
  };

  it('is logged for a route where AuthGuard("local") alone signs nobody in, also when the app mounts the middleware', async () => {
    expect(await unboundWarnings(true, checkPassword)).toEqual([expect.stringContaining('POST /auth/check-password')]);
  });

  it('is logged once for a route where AuthGuard("local") alone authenticated the request', async () => {
    const warnings = await unboundWarnings(false, async (url) => {
      await checkPassword(url);
      await checkPassword(url);
      // A bearer-token request is not a sign-in: never reported.
      await send(url, 'GET', '/views', { headers: { authorization: 'Bearer x' } });
    });
    expect(warnings).toEqual([expect.stringContaining('POST /auth/check-password')]);
  });
});
