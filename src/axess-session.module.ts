import { Module, type DynamicModule } from '@nestjs/common';
import {
  AxessSessionConfigurableModule,
  type AXESS_SESSION_ASYNC_OPTIONS_TYPE,
  type AXESS_SESSION_OPTIONS_TYPE,
} from './axess-session.module-definition.js';
import { axessCoreExports, axessCoreProviders } from './axess-session.providers.js';

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
 */
@Module({})
export class AxessSessionModule extends AxessSessionConfigurableModule {
  /** Configures the module with static options. */
  static override forRoot(options: typeof AXESS_SESSION_OPTIONS_TYPE): DynamicModule {
    return withCore(super.forRoot(options));
  }

  /** Configures the module with options from a factory, class or existing provider. */
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
