import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Redis } from 'iovalkey';
import passport from 'passport';
import { AxessSessionModule } from '../../src/index';
import { cookiePair, send } from '../harness/http-app';
import { listenOnLoopback } from '../harness/listen';
import { DocsAuthModule } from '../harness/passport-session.app';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

/**
 * passport session mode with `onSessionLimit: 'refuse'`: a sign-in beyond the cap answers 409,
 * and the refused login does not stay pending in the session to complete by itself later.
 */
describe("passport session mode with onSessionLimit 'refuse'", () => {
  let app: INestApplication;
  let url: string;
  let client: Redis;

  beforeAll(async () => {
    client = testClient();
    @Module({
      imports: [
        AxessSessionModule.forRoot({
          client,
          prefix: uniquePrefix('passport-refuse'),
          encryptionKey: randomKey(),
          signingKey: randomKey(),
          maxSessionsPerUser: 1,
          onSessionLimit: 'refuse',
          cookie: { secure: false },
        }),
        DocsAuthModule,
      ],
    })
    class AppModule {}
    const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
    ({ app, url } = await listenOnLoopback(ref, 'express', {
      beforeInit: (created) => {
        created.use(passport.initialize());
        created.use(passport.session());
      },
    }));
  });
  afterAll(async () => {
    await app?.close();
    await client?.quit();
  });

  it('a second sign-in is refused with 409; once a place is free, that browser is still signed out until it signs in again', async () => {
    const credentials = { username: 'john', password: 'changeme' };
    const first = await send(url, 'POST', '/auth/login', { body: credentials });
    expect(first.status).toBe(201);
    const firstCookie = cookiePair(first)!;

    const visit = await send(url, 'GET', '/views');
    const otherCookie = cookiePair(visit)!;
    const refused = await send(url, 'POST', '/auth/login', { body: credentials, cookie: otherCookie });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ statusCode: 409, message: 'Conflict', reason: 'session-limit' });
    // passport regenerated the session before the binding ran: the browser may get that new
    // anonymous session's cookie, never a signed-in one.
    const refusedCookie = cookiePair(refused) ?? otherCookie;
    expect((await send(url, 'GET', '/profile', { cookie: refusedCookie })).status).toBe(403);
    expect((await send(url, 'GET', '/profile', { cookie: firstCookie })).status).toBe(200);

    // The first device signs out: a place is free, but the refused browser never gave its password for it.
    expect((await send(url, 'POST', '/auth/logout', { cookie: firstCookie, body: {} })).status).toBe(201);
    const after = await send(url, 'GET', '/views', { cookie: refusedCookie });
    expect(after.status).toBe(200);
    const probe = await send(url, 'GET', '/profile', { cookie: cookiePair(after) ?? refusedCookie });
    expect(probe.status).toBe(403);
    const again = await send(url, 'POST', '/auth/login', { body: credentials, cookie: cookiePair(after) ?? refusedCookie });
    expect(again.status).toBe(201);
  });
});
