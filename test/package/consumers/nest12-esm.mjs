// A NestJS 12 ES-module app that uses the installed @axess/nestjs-session tarball the way a user
// would: import it, boot an application context, round-trip a session through SessionStore.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'iovalkey';
import { SessionStore, ValkeySessionStore, mintSessionId } from '@axess/nestjs-session';

const require = createRequire(import.meta.url);

const client = new Redis(process.env.VALKEY_URL);
const prefix = `consumer-esm-${randomBytes(4).toString('hex')}`;
class AppModule {}
Module({
  providers: [{ provide: SessionStore, useFactory: () => new ValkeySessionStore(client, randomBytes(32), { prefix }) }],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
const store = app.get(SessionStore);
if (!(store instanceof ValkeySessionStore)) throw new Error('SessionStore is not the package ValkeySessionStore');
const id = mintSessionId();
const record = { data: { cart: [1, 2, 3], who: 'esm' }, createdAt: Date.now() };
await store.save(id, record, 60_000);
const loaded = await store.load(id);
if (JSON.stringify(loaded?.data) !== JSON.stringify(record.data)) {
  throw new Error(`round trip mismatch: ${JSON.stringify(loaded)}`);
}
await store.delete(id);
await app.close();
await client.quit();

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
