import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import passport from 'passport';
import { createClient } from 'redis';
import { AxessSessionModule } from '../../src/index';
import { cookiePair, send } from '../harness/http-app';
import { listenOnLoopback } from '../harness/listen';
import { clearedCookie, legacyIdOf, legacySecrets } from '../harness/migration.app';
import { DocsAuthModule } from '../harness/passport-session.app';
import { randomKey, testClient, testValkeyUrl, uniquePrefix } from '../harness/valkey';

/**
 * The guide's before and after (docs/migrating-from-express-session.md): the NestJS docs'
 * passport session app on express-session + connect-redis, then the same app with
 * express-session swapped for AxessSessionModule and `migrateFrom` — its code otherwise unchanged.
 */
describe('the NestJS docs passport app, switched from express-session to axess with migrateFrom', () => {
  const secrets = legacySecrets();
  const prefix = `${uniquePrefix('sess')}:`;
  const client = testClient();
  const redis = createClient({ url: testValkeyUrl() });
  let before: { app: INestApplication; url: string };
  let after: { app: INestApplication; url: string };

  beforeAll(async () => {
    await redis.connect();
    const legacyRef = await Test.createTestingModule({ imports: [DocsAuthModule] }).compile();
    before = await listenOnLoopback(legacyRef, 'express', {
      beforeInit: (app) => {
        app.use(session({ store: new RedisStore({ client: redis, prefix }), secret: secrets, resave: false, saveUninitialized: false }));
        app.use(passport.initialize());
        app.use(passport.session());
      },
    });
    @Module({
      imports: [
        AxessSessionModule.forRoot({
          client,
          prefix: uniquePrefix('axess'),
          encryptionKey: randomKey(),
          signingKey: randomKey(),
          maxSessionsPerUser: 3,
          cookie: { secure: false },
          migrateFrom: { expressSession: { secrets, prefix } },
        }),
        DocsAuthModule,
      ],
    })
    class AfterModule {}
    const ref = await Test.createTestingModule({ imports: [AfterModule] }).compile();
    after = await listenOnLoopback(ref, 'express', {
      beforeInit: (app) => {
        app.use(passport.initialize());
        app.use(passport.session());
      },
    });
  });
  afterAll(async () => {
    await after?.app.close();
    await before?.app.close();
    await redis.quit();
    await client.quit();
  });

  it('a user signed in before the switch is still signed in after it, with the session data', async () => {
    const login = await send(before.url, 'POST', '/auth/login', { body: { username: 'john', password: 'changeme' } });
    const legacy = cookiePair(login, 'connect.sid')!;
    expect((await send(before.url, 'GET', '/views', { cookie: legacy })).body).toEqual({ views: 1 });
    expect((await send(before.url, 'GET', '/profile', { cookie: legacy })).body).toEqual({ userId: 1, username: 'john' });

    // The switch. passport.session() and req.isAuthenticated() see the imported user.
    const first = await send(after.url, 'GET', '/profile', { cookie: legacy });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ userId: 1, username: 'john' });
    expect(clearedCookie(first.setCookies, 'connect.sid')).toBeDefined();
    expect(await client.exists(prefix + legacyIdOf(legacy))).toBe(0);
    const cookie = cookiePair(first)!;
    expect(cookie).toBeDefined();
    expect((await send(after.url, 'GET', '/views', { cookie })).body).toEqual({ views: 2 });
    expect((await send(after.url, 'GET', '/profile', { cookie })).status).toBe(200);
    // req.logout(cb) ends it; the legacy cookie, replayed, brings nothing back.
    await send(after.url, 'POST', '/auth/logout', { cookie });
    expect((await send(after.url, 'GET', '/profile', { cookie })).status).toBe(403);
    expect((await send(after.url, 'GET', '/profile', { cookie: legacy })).status).toBe(403);
  });
});
