import { Module, type DynamicModule } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AxessSessionModule, type AxessConnectionOptions, type AxessSessionModuleOptions } from '@axess/nestjs-session';
import { MeController } from './account/me.controller';
import { AuthController } from './auth/auth.controller';
import { LocalStrategy } from './auth/local.strategy';
import { UsersService } from './auth/users.service';
import { HealthController } from './health.controller';
import type { SampleConfig } from './sample.config';
import { PageResponder } from './web/page.responder';
import { PagesController } from './web/pages.controller';

/** The sample app: passport-local sign-in on top of axess sessions. */
@Module({})
export class AppModule {
  /** `backend` is how to reach Valkey (`{ url }`, `{ clusterNodes }` or `{ sentinels, name }`), or 'memory' when none is available. */
  static register(config: SampleConfig, backend: AxessConnectionOptions | 'memory'): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PassportModule,
        AxessSessionModule.forRootAsync({
          useFactory: (): AxessSessionModuleOptions => ({
            ...(backend === 'memory' ? { store: 'memory' as const } : { connection: backend }),
            encryptionKey: config.encryptionKey,
            previousEncryptionKeys: config.previousEncryptionKey ? [config.previousEncryptionKey] : [],
            signingKey: config.signingKey,
            maxSessionsPerUser: config.maxSessions,
            ...config.overrides,
          }),
        }),
      ],
      controllers: [AuthController, MeController, HealthController, PagesController],
      providers: [UsersService, LocalStrategy, PageResponder],
    };
  }
}
