// A NestJS 11 CommonJS app that uses the installed @axess/nestjs-session tarball the way a user
// would: require() it, boot an application context, round-trip a session through SessionStore.
'use strict';
require('reflect-metadata');
const { randomBytes } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Redis } = require('iovalkey');
const { SessionStore, ValkeySessionStore, mintSessionId } = require('@axess/nestjs-session');

async function main() {
  const client = new Redis(process.env.VALKEY_URL);
  const prefix = `consumer-cjs-${randomBytes(4).toString('hex')}`;
  class AppModule {}
  Module({
    providers: [{ provide: SessionStore, useFactory: () => new ValkeySessionStore(client, randomBytes(32), { prefix }) }],
  })(AppModule);

  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  const store = app.get(SessionStore);
  if (!(store instanceof ValkeySessionStore)) throw new Error('SessionStore is not the package ValkeySessionStore');
  const id = mintSessionId();
  const record = { data: { cart: [1, 2, 3], who: 'cjs' }, createdAt: Date.now() };
  await store.save(id, record, 60_000);
  const loaded = await store.load(id);
  if (JSON.stringify(loaded && loaded.data) !== JSON.stringify(record.data)) {
    throw new Error(`round trip mismatch: ${JSON.stringify(loaded)}`);
  }
  await store.delete(id);
  await app.close();
  await client.quit();

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
