import { timingSafeEqual } from 'node:crypto';
import type { DynamicModule, INestApplication, Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AxessConnectionOptions } from '@axess/nestjs-session';
import { AppModule } from '../sample/app.module';
import { UsersService, type SampleUser } from '../sample/auth/users.service';
import { registerSampleMetrics } from '../sample/observability/sample-metrics';
import { useSampleWebSockets } from '../sample/realtime/sample-websockets';
import { useSampleHttp } from '../sample/sample-http';
import type { SampleConfig } from '../sample/sample.config';
import { NotesController } from './notes.controller';

/**
 * The soak's users: any `name` with password `name-password`. Checked without scrypt: the soak
 * measures the session layer, and scrypt on every sign-in would eat the 2-core machine.
 */
class SoakUsers extends UsersService {
  override async verify(username: unknown, password: unknown): Promise<SampleUser | null> {
    if (typeof username !== 'string' || typeof password !== 'string' || !/^[a-z]{1,16}$/.test(username)) return null;
    const expected = Buffer.from(`${username}-password`);
    const given = Buffer.from(password);
    return given.length === expected.length && timingSafeEqual(given, expected) ? { id: username, username } : null;
  }
}

/** One app instance of the soak. */
export interface AppSpec {
  name: string;
  adapter: 'express' | 'fastify';
  localCache: boolean;
  /** Reaches Valkey through the partitionable proxies. */
  proxied: boolean;
}

/** What every instance shares: keys, cap, and the module options under test. */
export interface SharedAppConfig {
  encryptionKey: string;
  signingKey: string;
  maxSessions: number;
  /** Module options (prefix, durableWrites, commandTimeoutMs). */
  overrides: Record<string, unknown>;
}

/** The sample's module on `connection`, with the soak's users and its notes controller. */
function soakModule(config: SampleConfig, connection: AxessConnectionOptions): DynamicModule {
  const module = AppModule.register(config, connection);
  const providers = (module.providers ?? []).map((p: Provider) =>
    p === UsersService ? { provide: UsersService, useClass: SoakUsers } : p,
  );
  return { ...module, providers, controllers: [...(module.controllers ?? []), NotesController] };
}

/** A sample instance in this process on a fixed loopback port, which can be stopped and started again. */
export class AppInstance {
  private app?: INestApplication;
  port = 0;
  /** When it went down (undefined while up) and every [down, up] interval so far. */
  private downSince?: number;
  readonly downIntervals: Array<[number, number]> = [];

  constructor(
    readonly spec: AppSpec,
    private readonly shared: SharedAppConfig,
    private readonly connection: AxessConnectionOptions,
    private readonly clock: () => number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get up(): boolean {
    return this.downSince === undefined && this.app !== undefined;
  }

  /** Whether it was down at any moment of [from, to]. */
  wasDown(from: number, to: number): boolean {
    if (this.downSince !== undefined && this.downSince <= to) return true;
    return this.downIntervals.some(([down, up]) => down <= to && up >= from);
  }

  async start(): Promise<void> {
    registerSampleMetrics();
    const config: SampleConfig = {
      port: this.port,
      fastify: this.spec.adapter === 'fastify',
      maxSessions: this.shared.maxSessions,
      encryptionKey: this.shared.encryptionKey,
      signingKey: this.shared.signingKey,
      localCache: this.spec.localCache,
      // The workload sends each simulated device's address in X-Forwarded-For (per-ip sign-in limits).
      trustProxy: 'loopback',
      overrides: this.shared.overrides,
    };
    const module = soakModule(config, this.connection);
    let app: INestApplication;
    if (config.fastify) {
      app = await NestFactory.create(module, new FastifyAdapter({ trustProxy: 'loopback' }), { logger: ['error'] });
    } else {
      const express = await NestFactory.create<NestExpressApplication>(module, { logger: ['error'] });
      express.set('trust proxy', 'loopback');
      app = express;
    }
    useSampleHttp(app);
    useSampleWebSockets(app);
    if (config.fastify) {
      await app.init();
      await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    }
    await app.listen(this.port, '127.0.0.1');
    this.port = Number(new URL((await app.getUrl()).replace('[::1]', '127.0.0.1')).port);
    this.app = app;
    if (this.downSince !== undefined) this.downIntervals.push([this.downSince, this.clock()]);
    this.downSince = undefined;
  }

  async stop(): Promise<void> {
    this.downSince = this.clock();
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }

  /** Stops and starts again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
