// A NestJS 12 ES-module app that uses the installed @axess/nestjs-session tarball the way a user
// would: import it, import AxessSessionModule.forRoot into an application context, round-trip a
// session through the injected SessionStore, and close. It must exit by itself: the client the
// module created from `connection` has to be quit on shutdown.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AxessSessionModule, Clock, SessionStore } from '@axess/nestjs-session';
import { ManualClock } from '@axess/nestjs-session/testing';

const require = createRequire(import.meta.url);

const clock = new ManualClock();
class AppModule {}
Module({
  imports: [
    AxessSessionModule.forRoot({
      connection: { url: process.env.VALKEY_URL },
      encryptionKey: randomBytes(32),
      signingKey: randomBytes(32).toString('base64'),
      prefix: `consumer-esm-${randomBytes(4).toString('hex')}`,
      clock,
    }),
  ],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
// The testing entry point and the main one must share one Clock class (one copy of the package).
if (app.get(Clock) !== clock) throw new Error('Clock is not the ManualClock given in the options');
const store = app.get(SessionStore);
// The module's store records its calls (OpenTelemetry) around the backend it chose.
if (!(store instanceof SessionStore) || store.backend !== 'valkey') throw new Error('SessionStore is not the Valkey store');
// An id of the shape the module mints (24 random bytes, base64url); the minting function is internal.
const id = randomBytes(24).toString('base64url');
const record = { data: { cart: [1, 2, 3], who: 'esm' }, createdAt: clock.nowMs() };
await store.save(id, record, 60_000);
const loaded = await store.load(id);
if (JSON.stringify(loaded?.data) !== JSON.stringify(record.data)) {
  throw new Error(`round trip mismatch: ${JSON.stringify(loaded)}`);
}
await store.delete(id);
if ((await store.load(id)) !== null) throw new Error('deleted session still loads');
await app.close();

// CommonJS files the process required from the package: an ESM app must need none.
const packageFiles = Object.keys(require.cache).filter((f) => f.includes('@axess/nestjs-session'));
console.log(
  'AXESS_CONSUMER_OK',
  JSON.stringify({
    nest: JSON.parse(readFileSync(new URL('./node_modules/@nestjs/core/package.json', import.meta.url), 'utf8')).version,
    resolved: fileURLToPath(import.meta.resolve('@axess/nestjs-session')),
    packageFiles,
  }),
);
