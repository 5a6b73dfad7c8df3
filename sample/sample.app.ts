import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { startValkeyServer, valkeyServerAvailable, type ValkeyTestServer } from '@axess/nestjs-session/testing';
import { AppModule } from './app.module';
import { useSampleWebSockets } from './realtime/sample-websockets';
import { useSampleHttp } from './sample-http';
import { registerSampleMetrics } from './observability/sample-metrics';
import type { SampleConfig } from './sample.config';

/** A running sample: the Nest app plus the private valkey-server it may have started. */
export interface SampleApp {
  app: INestApplication;
  backend: 'valkey' | 'memory';
  /** The Valkey URL in use, if any. */
  valkeyUrl?: string;
  /** Closes the app, then stops a private valkey-server if one was started. */
  close(): Promise<void>;
}

/**
 * Builds the sample on Express or Fastify. With no VALKEY_URL it starts a private valkey-server,
 * or, when none is installed, falls back to the in-memory store with a loud warning.
 */
export async function createSampleApp(config: SampleConfig): Promise<SampleApp> {
  // Before the app exists: the library's module takes its meter from the global provider as it boots.
  registerSampleMetrics();
  const logger = new Logger('Sample');
  let privateServer: ValkeyTestServer | undefined;
  let backend: { url: string } | 'memory';
  if (config.valkeyUrl) {
    backend = { url: config.valkeyUrl };
  } else if (valkeyServerAvailable()) {
    privateServer = await startValkeyServer();
    backend = { url: privateServer.url };
    logger.log(`VALKEY_URL is not set: started a private valkey-server at ${privateServer.url}.`);
  } else {
    backend = 'memory';
    logger.warn('!!! VALKEY_URL is not set and valkey-server is not installed: using the IN-MEMORY store.');
    logger.warn('!!! Sessions live in this process only and vanish on restart. Install valkey-server or set VALKEY_URL.');
  }
  const module = AppModule.register(config, backend);
  // The pages' form posts need no @fastify/formbody: Nest's FastifyAdapter registers its own
  // application/x-www-form-urlencoded parser (as Express's adapter does), and a second one
  // for the same content type would make Fastify refuse to start.
  // TRUST_PROXY decides whose word counts for the client's ip (the sign-in throttle) and scheme
  // (the Origin checks); unset, forwarded headers are ignored.
  const trustProxy = config.trustProxy;
  let app: INestApplication;
  if (config.fastify) {
    app = await NestFactory.create(module, new FastifyAdapter(trustProxy === undefined ? {} : { trustProxy }), {
      logger: ['error', 'warn', 'log'],
    });
  } else {
    const express = await NestFactory.create<NestExpressApplication>(module, { logger: ['error', 'warn', 'log'] });
    if (trustProxy !== undefined) express.set('trust proxy', trustProxy);
    app = express;
  }
  useSampleHttp(app);
  useSampleWebSockets(app);
  return {
    app,
    backend: backend === 'memory' ? 'memory' : 'valkey',
    valkeyUrl: backend === 'memory' ? undefined : backend.url,
    close: async () => {
      await app.close();
      await privateServer?.stop();
    },
  };
}
