import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { createClient } from 'redis';
import { PeerModule } from './peer.module';

/** A running peer app and how to stop it. */
export interface PeerApp {
  app: INestApplication;
  close(): Promise<void>;
}

const SECRET = 'peer-benchmark-secret-of-at-least-32-characters';
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The same Nest app on the session stack most apps use today: connect-redis on its default
 * client (node-redis), under express-session on Express or @fastify/session on Fastify, with the
 * options their docs recommend. `cookie.secure` is off only because the benchmark speaks plain
 * HTTP (both libraries skip the session cookie on an insecure connection otherwise).
 */
export async function createPeerApp(valkeyUrl: string, fastify: boolean): Promise<PeerApp> {
  const client = createClient({ url: valkeyUrl });
  client.on('error', () => undefined);
  await client.connect();
  const store = new RedisStore({ client });
  const cookie = { secure: false, httpOnly: true, sameSite: 'lax' as const, path: '/', maxAge: DAY_MS };
  let app: INestApplication;
  if (fastify) {
    const fastifyApp = await NestFactory.create<NestFastifyApplication>(PeerModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
    await fastifyApp.register(fastifyCookie);
    // Defaults otherwise: rolling sessions (each request re-saves the session), as documented.
    await fastifyApp.register(fastifySession, { secret: SECRET, store, cookie, saveUninitialized: false });
    app = fastifyApp;
  } else {
    app = await NestFactory.create(PeerModule, { logger: ['error', 'warn'] });
    // resave: false + saveUninitialized: false, as express-session recommends: get + touch per request.
    app.use(session({ secret: SECRET, store, resave: false, saveUninitialized: false, cookie }));
  }
  return {
    app,
    close: async () => {
      await app.close();
      await client.quit();
    },
  };
}
