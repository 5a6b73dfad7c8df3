import { Inject, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import {
  AxessSessionConfigurableModule,
  type AXESS_SESSION_ASYNC_OPTIONS_TYPE,
  type AXESS_SESSION_OPTIONS_TYPE,
} from './axess-session.module-definition.js';
import { axessCoreExports, axessCoreProviders } from './axess-session.providers.js';
import { AxessRequestMount } from './axess-session.request-mount.js';
import type { ResolvedAxessOptions } from './axess-session.resolved-options.js';
import { AXESS_SESSION_OPTIONS } from './axess-session.tokens.js';
import { AxessSessionMiddleware } from './http/session.middleware.js';

/** Every path, in the named-wildcard syntax of Nest 11 (path-to-regexp 8; Express 5 and Fastify). */
export const AXESS_ALL_ROUTES = { path: '{*path}', method: RequestMethod.ALL };

/**
 * Server-side sessions on Valkey for NestJS.
 *
 * @example
 * AxessSessionModule.forRootAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     connection: { url: config.getOrThrow('VALKEY_URL') },
 *     encryptionKey: config.getOrThrow('AXESS_ENCRYPTION_KEY'),
 *     signingKey: config.getOrThrow('AXESS_SIGNING_KEY'),
 *     maxSessionsPerUser: 3,
 *   }),
 * })
 *
 * The module is global unless `isGlobal: false`: any feature module can inject its services
 * and use its guards. The session middleware is mounted on every route unless
 * `mountMiddleware: false`; it commits the session's changes from the response as it goes out
 * (no global interceptor).
 */
@Module({})
export class AxessSessionModule extends AxessSessionConfigurableModule implements NestModule {
  /** Created by Nest with the resolved options. @internal */
  constructor(
    @Inject(AXESS_SESSION_OPTIONS) private readonly resolved: ResolvedAxessOptions,
    private readonly mount: AxessRequestMount,
  ) {
    super();
  }

  /**
   * Mounts the session middleware on every route (unless `mountMiddleware` is false), where the
   * request mount has not already put it first on the app (Express middleware, Fastify hook; the
   * adapter is unknown to the mount on Nest before 11.1.4 in a testing module).
   */
  configure(consumer: MiddlewareConsumer): void {
    if (this.resolved.mountMiddleware && !this.mount.mountsMiddleware) consumer.apply(AxessSessionMiddleware).forRoutes(AXESS_ALL_ROUTES);
  }

  /** Configures the module with static options. */
  static override forRoot(options: typeof AXESS_SESSION_OPTIONS_TYPE): DynamicModule {
    return withCore(super.forRoot(options));
  }

  /** Configures the module with options from a factory, a class (`AxessSessionOptionsFactory`) or an existing provider. */
  static override forRootAsync(options: typeof AXESS_SESSION_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withCore(super.forRootAsync(options));
  }
}

function withCore(definition: DynamicModule): DynamicModule {
  return {
    ...definition,
    providers: [...(definition.providers ?? []), ...axessCoreProviders],
    exports: [...(definition.exports ?? []), ...axessCoreExports],
  };
}
