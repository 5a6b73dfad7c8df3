import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import Fastify from 'fastify';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { createClient } from 'redis';
import { cookiePair, send } from './http-app';
import { testValkeyUrl } from './valkey';

/**
 * A running app of the session library being replaced, on the suite's Valkey, with a node-redis
 * v5 client (what connect-redis 9 wants).
 */
export interface LegacyApp {
  url: string;
  /** Signs `username` in (password `${username}-password`); the cookie pair of its session. */
  signIn(username: string): Promise<string>;
  /** Stores `cart` in a session nobody signed into; its cookie pair. */
  anonymousCart(cart: unknown): Promise<string>;
  close(): Promise<void>;
}

/** Where the legacy app keeps its sessions and what it signs its cookie with. */
export interface LegacyAppOptions {
  secrets: string[];
  /** connect-redis's key prefix. */
  prefix: string;
}

type Closer = () => Promise<void>;

/**
 * express-session + connect-redis + passport-local in session mode, as an Express app that has
 * not switched yet would have them: `/login` is `passport.authenticate('local')` (passport keeps
 * the user id under `passport.user`), `/cart` stores data in the session.
 */
export async function startLegacyExpressApp(options: LegacyAppOptions): Promise<LegacyApp> {
  const redis = createClient({ url: testValkeyUrl() });
  await redis.connect();
  const passport = new Passport();
  passport.use(new LocalStrategy((username, password, done) => done(null, password === `${username}-password` ? { id: username } : false)));
  passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
  passport.deserializeUser((id: string, done) => done(null, { id }));
  const app = express();
  app.use(express.json());
  app.use(
    session({
      store: new RedisStore({ client: redis, prefix: options.prefix }),
      secret: options.secrets,
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.use(passport.session());
  app.post('/login', passport.authenticate('local'), (req, res) => {
    res.json({ userId: (req.user as { id: string }).id });
  });
  app.post('/cart', (req, res) => {
    (req.session as unknown as Record<string, unknown>).cart = req.body as unknown;
    res.json({});
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close: Closer = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await redis.quit();
  };
  return legacyApp(url, 'connect.sid', close);
}

/**
 * @fastify/cookie + @fastify/session + connect-redis, as a Fastify app would have them; `/login`
 * keeps the user id under `passport`, where @fastify/passport keeps what `serializeUser` returns.
 */
export async function startLegacyFastifyApp(options: LegacyAppOptions): Promise<LegacyApp> {
  const redis = createClient({ url: testValkeyUrl() });
  await redis.connect();
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: options.secrets,
    store: new RedisStore({ client: redis, prefix: options.prefix }),
    saveUninitialized: false,
    cookie: { secure: false },
  });
  app.post('/login', async (request, reply) => {
    const { username, password } = request.body as { username: string; password: string };
    if (password !== `${username}-password`) return reply.code(401).send({});
    await request.session.regenerate();
    request.session.set('passport' as never, username as never);
    return { userId: username };
  });
  app.post('/cart', async (request) => {
    request.session.set('cart' as never, request.body as never);
    return {};
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const close: Closer = async () => {
    await app.close();
    await redis.quit();
  };
  return legacyApp(url.replace('localhost', '127.0.0.1'), 'sessionId', close);
}

function legacyApp(url: string, cookieName: string, close: Closer): LegacyApp {
  const cookieOf = (answer: Awaited<ReturnType<typeof send>>): string => {
    const pair = cookiePair(answer, cookieName);
    if (answer.status !== 200 || !pair) throw new Error(`The legacy app answered ${answer.status} without a ${cookieName} cookie.`);
    return pair;
  };
  return {
    url,
    signIn: async (username) => cookieOf(await send(url, 'POST', '/login', { body: { username, password: `${username}-password` } })),
    anonymousCart: async (cart) => cookieOf(await send(url, 'POST', '/cart', { body: cart })),
    close,
  };
}
