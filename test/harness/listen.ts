import type { INestApplication, LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TestingModule } from '@nestjs/testing';

export type AdapterName = 'express' | 'fastify';

export interface ListenOptions {
  /** The app's logger; `false` (the default) prints nothing. */
  logger?: LoggerService | false;
  /** Trust loopback proxies (Express `trust proxy`, Fastify `trustProxy`). */
  trustProxy?: boolean;
  /** Runs on the app before init (global prefix, middleware). */
  beforeInit?: (app: INestApplication) => void;
}

/**
 * Creates the Nest app of a compiled testing module on Express or Fastify and listens on a free
 * loopback port. Fastify's plugins are made ready before it listens, so that the first request
 * meets every hook.
 */
export async function listenOnLoopback(
  ref: TestingModule,
  adapter: AdapterName,
  options: ListenOptions = {},
): Promise<{ app: INestApplication; url: string }> {
  const logger = options.logger ?? false;
  let app: INestApplication;
  if (adapter === 'fastify') {
    const fastify = ref.createNestApplication<NestFastifyApplication>(new FastifyAdapter({ trustProxy: options.trustProxy ?? false }), {
      logger,
    });
    options.beforeInit?.(fastify);
    await fastify.init();
    await fastify.getHttpAdapter().getInstance().ready();
    app = fastify;
  } else {
    const express = ref.createNestApplication<NestExpressApplication>({ logger });
    if (options.trustProxy) express.set('trust proxy', 'loopback');
    options.beforeInit?.(express);
    app = express;
  }
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}
