// A NestJS 11 CommonJS app that uses the installed @axess/nestjs-session tarball the way a user
// would: require() it, import AxessSessionModule.forRoot into an application context, round-trip
// a session through the injected SessionStore, and close. It must exit by itself: the client the
// module created from `connection` has to be quit on shutdown.
'use strict';
require('reflect-metadata');
const { randomBytes } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { AxessSessionModule, Clock, SessionStore } = require('@axess/nestjs-session');
const { ManualClock } = require('@axess/nestjs-session/testing');

async function main() {
  const clock = new ManualClock();
  class AppModule {}
  Module({
    imports: [
      AxessSessionModule.forRoot({
        connection: { url: process.env.VALKEY_URL },
        encryptionKey: randomBytes(32),
        signingKey: randomBytes(32).toString('base64'),
        prefix: `consumer-cjs-${randomBytes(4).toString('hex')}`,
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
  const record = { data: { cart: [1, 2, 3], who: 'cjs' }, createdAt: clock.nowMs() };
  await store.save(id, record, 60_000);
  const loaded = await store.load(id);
  if (JSON.stringify(loaded && loaded.data) !== JSON.stringify(record.data)) {
    throw new Error(`round trip mismatch: ${JSON.stringify(loaded)}`);
  }
  await store.delete(id);
  if ((await store.load(id)) !== null) throw new Error('deleted session still loads');
  await app.close();

  const packageFiles = Object.keys(require.cache).filter((f) => f.includes('@axess/nestjs-session'));
  console.log(
    'AXESS_CONSUMER_OK',
    JSON.stringify({
      nest: JSON.parse(readFileSync(join(__dirname, 'node_modules/@nestjs/core/package.json'), 'utf8')).version,
      resolved: require.resolve('@axess/nestjs-session'),
      packageFiles,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
