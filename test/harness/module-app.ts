import { listenOnLoopback } from './listen';
import { Module, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Redis } from 'iovalkey';
import { AxessSessionModule, type AxessSessionModuleOptions } from '../../src/index';
import { randomKey, testClient, uniquePrefix } from './valkey';

export type AdapterName = 'express' | 'fastify';

/** Keeps the app's warnings and errors (and prints nothing). */
export class CapturingLogger implements LoggerService {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  log(): void {}
  error(message: unknown): void {
    this.errors.push(String(message));
  }
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

/** An app of the session module plus `feature` (a module that does not import it), listening on loopback. */
export interface ModuleApp {
  app: INestApplication;
  url: string;
  port: number;
  prefix: string;
  /** The app's own Valkey client. */
  client: Redis;
  logger: CapturingLogger;
  close(): Promise<void>;
}

/**
 * Boots `AxessSessionModule.forRoot` (on its own client of the suite's Valkey, a fresh prefix
 * and fresh keys, then `overrides`) next to `feature`, as an app imports a feature module, on
 * Express or Fastify. `trustProxy` trusts loopback proxies (Express `trust proxy`, Fastify `trustProxy`).
 */
export async function startModuleApp(
  adapter: AdapterName,
  feature: Type,
  overrides: Partial<AxessSessionModuleOptions> = {},
  trustProxy = false,
): Promise<ModuleApp> {
  const client = testClient();
  const prefix = uniquePrefix('app');
  const options: AxessSessionModuleOptions = { client, prefix, encryptionKey: randomKey(), signingKey: randomKey(), ...overrides };
  @Module({ imports: [AxessSessionModule.forRoot(options), feature] })
  class AppModule {}
  const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const logger = new CapturingLogger();
  const { app, url } = await listenOnLoopback(ref, adapter, { logger, trustProxy });
  return {
    app,
    url,
    port: Number(new URL(url).port),
    prefix: options.prefix ?? prefix,
    client,
    logger,
    close: async () => {
      await app.close();
      await client.quit();
    },
  };
}
