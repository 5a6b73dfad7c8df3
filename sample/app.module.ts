import { Module, type DynamicModule } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AxessSessionModule, type AxessConnectionOptions, type AxessSessionModuleOptions } from '@axess/nestjs-session';
import { MeController } from './account/me.controller';
import { ObservabilityModule } from './observability/observability.module';
import { AuthController } from './auth/auth.controller';
import { LocalStrategy } from './auth/local.strategy';
import { Reauthentication } from './auth/reauthentication';
import { SessionsResolver } from './graphql/sessions.resolver';
import { InMemorySignInAttempts, SignInAttempts, ValkeySignInAttempts } from './auth/sign-in-attempts';
import { SIGN_IN_THROTTLE_KEY, SIGN_IN_THROTTLE_KEY_INFO, SignInThrottle } from './auth/sign-in-throttle';
import { UsersService } from './auth/users.service';
import { SampleGraphqlModule } from './graphql/sample-graphql.module';
import { SessionGateway } from './realtime/session.gateway';
import type { SampleConfig } from './sample.config';
import { ADMIN_USERS, AdminController } from './admin/admin.controller';
import { deriveSampleKey } from './sample-keys';
import { PageResponder } from './web/page.responder';
import { PagesController } from './web/pages.controller';
import { SIGN_IN_CSRF_KEY_INFO, SignInCsrf } from './web/sign-in-csrf';

/**
 * The sample app: passport-local sign-in on top of axess sessions. Sign-in attempts are counted
 * on the same Valkey, under `{prefix}:throttle:` (in memory with the in-memory fallback).
 */
@Module({})
export class AppModule {
  /** `backend` is how to reach Valkey (`{ url }`, `{ clusterNodes }` or `{ sentinels, name }`), or 'memory' when none is available. */
  static register(config: SampleConfig, backend: AxessConnectionOptions | 'memory'): DynamicModule {
    const prefix = typeof config.overrides?.prefix === 'string' ? config.overrides.prefix : 'axess';
    return {
      module: AppModule,
      imports: [
        PassportModule,
        ObservabilityModule,
        AxessSessionModule.forRootAsync({
          useFactory: (): AxessSessionModuleOptions => ({
            ...(backend === 'memory' ? { store: 'memory' as const } : { connection: backend }),
            encryptionKey: config.encryptionKey,
            previousEncryptionKeys: config.previousEncryptionKey ? [config.previousEncryptionKey] : [],
            signingKey: config.signingKey,
            maxSessionsPerUser: config.maxSessions,
            // The local cache needs Valkey (the in-memory fallback is in this process already).
            ...(config.localCache && backend !== 'memory' ? { localCache: true } : {}),
            ...config.overrides,
          }),
        }),
        SampleGraphqlModule.register(config.fastify, config.development),
      ],
      controllers: [AuthController, MeController, PagesController, AdminController],
      providers: [
        UsersService,
        { provide: ADMIN_USERS, useValue: config.adminUsers ?? [] },
        LocalStrategy,
        Reauthentication,
        // Beside Reauthentication and the attempt limits it needs (the GraphQL module's own resolvers need only the library).
        SessionsResolver,
        PageResponder,
        SessionGateway,
        SignInThrottle,
        {
          provide: SignInAttempts,
          useFactory: () =>
            backend === 'memory' ? new InMemorySignInAttempts() : new ValkeySignInAttempts(backend, `${prefix}:throttle:`),
        },
        { provide: SIGN_IN_THROTTLE_KEY, useFactory: () => deriveSampleKey(config.signingKey, SIGN_IN_THROTTLE_KEY_INFO) },
        { provide: SignInCsrf, useFactory: () => new SignInCsrf(deriveSampleKey(config.signingKey, SIGN_IN_CSRF_KEY_INFO)) },
      ],
    };
  }
}
