// Runs the tutorial app on express-session + connect-redis, signs users in, switches it to axess
// (src/before -> src/after) on the same Valkey, and drives it like its users' browsers would.
// Prints what it saw after a marker line, and exits.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Redis } from 'iovalkey';
import { AxessSessionService } from '@axess/nestjs-session';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { io, type Socket } from 'socket.io-client';

process.env.SESSION_SECRET = `keyboard cat ${randomBytes(8).toString('hex')}`;
process.env.AXESS_ENCRYPTION_KEY = randomBytes(32).toString('hex');
process.env.AXESS_SIGNING_KEY = randomBytes(32).toString('hex');

type Answer = { status: number; body: any; cookies: Record<string, string> };

function client(base: string) {
  return async (method: string, path: string, cookie?: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const cookies: Record<string, string> = {};
    for (const header of res.headers.getSetCookie()) {
      const pair = header.split(';')[0];
      cookies[pair.slice(0, pair.indexOf('='))] = pair;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, cookies };
  };
}

async function main(): Promise<void> {
  const valkey = new Redis(process.env.VALKEY_URL!);
  const seen: Record<string, unknown> = {};

  // 1. The app as it was: express-session + connect-redis.
  const before = await (await import('./before/main')).bootstrap();
  let call = client((await before.app.getUrl()).replace('[::1]', '127.0.0.1'));
  const legacy: Array<{ user: string; cookie: string }> = [];
  for (const [user, password] of [
    ['john', 'changeme'],
    ['john', 'changeme'],
    ['john', 'changeme'],
    ['john', 'changeme'],
    ['maria', 'guess'],
  ]) {
    const login = await call('POST', '/auth/login', undefined, { username: user, password });
    legacy.push({ user, cookie: login.cookies['connect.sid'] });
  }
  const visitor = (await call('GET', '/views')).cookies['connect.sid'];
  await call('GET', '/views', visitor);
  seen.legacyProfiles = await Promise.all(legacy.map(async ({ cookie }) => (await call('GET', '/profile', cookie)).status));
  seen.legacyKeys = (await valkey.keys('sess:*')).length;
  await before.close();

  // 2. The same app switched to axess, on the same Valkey.
  const after = await (await import('./after/main')).bootstrap();
  call = client((await after.app.getUrl()).replace('[::1]', '127.0.0.1'));
  const imported: string[] = [];
  const firstRequests: Answer[] = [];
  for (const { cookie } of legacy) {
    const answer = await call('GET', '/profile', cookie);
    firstRequests.push(answer);
    imported.push(answer.cookies['axess.sid']);
  }
  seen.firstRequestAfterSwitch = firstRequests.map((a) => ({
    status: a.status,
    user: a.body?.username,
    axessCookie: a.cookies['axess.sid'] !== undefined,
    legacyCookieCleared: a.cookies['connect.sid'] === 'connect.sid=',
  }));
  seen.keptSignedIn = firstRequests.filter((a) => a.status === 200).length;
  seen.signedInBefore = legacy.length;
  // The cap of 3 applies to what was imported: john's first imported session gave way to his fourth.
  seen.importedJohn = await Promise.all(imported.slice(0, 4).map(async (cookie) => (await call('GET', '/me/session', cookie)).body));
  seen.legacyReplay = (await call('GET', '/profile', legacy[1].cookie)).status;
  seen.visitorViews = (await call('GET', '/views', visitor)).body;
  seen.legacyKeysLeft = (await valkey.keys('sess:*')).length;

  // 3. New sign-ins after the switch: the recipe's routes, unchanged.
  const fresh: string[] = [];
  for (let i = 0; i < 4; i++)
    fresh.push((await call('POST', '/auth/login', undefined, { username: 'maria', password: 'guess' })).cookies['axess.sid']);
  seen.freshProfile = (await call('GET', '/profile', fresh[3])).body;
  seen.evicted = await call('GET', '/me/session', fresh[0]).then((a) => ({ status: a.status, reason: a.body?.reason }));
  seen.mariaDevices = (await after.app.get(AxessSessionService).listSessions('2')).length;
  const counter = await call('GET', '/views', fresh[3]);
  seen.counter = [counter.body, (await call('GET', '/views', fresh[3])).body];
  await call('POST', '/auth/logout', fresh[3]);
  seen.afterLogout = {
    profile: (await call('GET', '/profile', fresh[3])).status,
    devices: (await after.app.get(AxessSessionService).listSessions('2')).length,
  };

  // 4. socket.io on two instances: the handshake needs a signed-in session; a revocation through
  // the other instance disconnects the socket after telling it why.
  const other = await (await import('./after/main')).bootstrap();
  const base = (await after.app.getUrl()).replace('[::1]', '127.0.0.1');
  const connect = (cookie?: string): Promise<{ socket: Socket; error?: unknown }> =>
    new Promise((resolve) => {
      const socket = io(base, {
        transports: ['websocket'],
        reconnection: false,
        extraHeaders: { origin: base, ...(cookie ? { cookie } : {}) },
      });
      socket.once('connect', () => resolve({ socket }));
      socket.once('connect_error', (error: Error & { data?: unknown }) => resolve({ socket, error: error.data }));
    });
  const anonymous = await connect();
  seen.socketWithoutSession = anonymous.error;
  anonymous.socket.close();
  const { socket, error } = await connect(fresh[2]);
  seen.socketSignedIn = error ?? (await socket.emitWithAck('whoami'));
  const ended = new Promise<{ reason: unknown; disconnectedWithinOneSecond: boolean }>((resolve) => {
    let reason: unknown;
    const start = Date.now();
    socket.once('axess:session-ended', (payload: { reason: unknown }) => (reason = payload.reason));
    socket.once('disconnect', () => resolve({ reason, disconnectedWithinOneSecond: Date.now() - start < 1000 }));
  });
  await other.app.get(AxessSessionService).revokeAll('2');
  seen.socketAfterRevokeElsewhere = await ended;
  socket.close();
  await other.close();
  await after.close();

  // 5. The same module on Fastify: Nest's @Session() is the axess session there too.
  const fastify = await NestFactory.create<NestFastifyApplication>((await import('./after/app.module')).AppModule, new FastifyAdapter(), {
    logger: ['error'],
  });
  await fastify.listen(0, '127.0.0.1');
  call = client((await fastify.getUrl()).replace('[::1]', '127.0.0.1'));
  const firstView = await call('GET', '/views');
  seen.fastifyViews = [firstView.body, (await call('GET', '/views', firstView.cookies['axess.sid'])).body];
  await fastify.close();
  await valkey.quit();
  console.log('AXESS_TUTORIAL_APP', JSON.stringify(seen));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
