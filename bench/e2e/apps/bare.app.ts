import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { BareModule } from './bare.module';
import type { PeerApp } from './peer.app';

/** The same Nest app on Express or Fastify without any session library. */
export async function createBareApp(fastify: boolean): Promise<PeerApp> {
  const app = fastify
    ? await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), { logger: ['error', 'warn'] })
    : await NestFactory.create(BareModule, { logger: ['error', 'warn'] });
  return { app, close: () => app.close() };
}
