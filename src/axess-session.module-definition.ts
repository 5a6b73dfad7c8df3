import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import type { AxessSessionModuleOptions } from './axess-session.options.js';

/** Extras accepted by both `forRoot` and `forRootAsync`. */
export interface AxessSessionModuleExtras {
  /**
   * Register the module globally, so that every module can inject its services and use its
   * guards without importing it again. @default true
   */
  isGlobal?: boolean;
  /** More providers to register in the module (e.g. what a `useClass` factory needs). */
  extraProviders?: Provider[];
}

/**
 * A class that builds the module's options, for `forRootAsync({ useClass })` and
 * `forRootAsync({ useExisting })`.
 *
 * @example
 * @Injectable()
 * class SessionConfig implements AxessSessionOptionsFactory {
 *   constructor(private readonly config: ConfigService) {}
 *   createAxessSessionOptions(): AxessSessionModuleOptions {
 *     return { connection: { url: this.config.getOrThrow('VALKEY_URL') }, ... };
 *   }
 * }
 */
export interface AxessSessionOptionsFactory {
  /** Returns the module's options; called once when the module boots. */
  createAxessSessionOptions(): AxessSessionModuleOptions | Promise<AxessSessionModuleOptions>;
}

export const {
  ConfigurableModuleClass: AxessSessionConfigurableModule,
  MODULE_OPTIONS_TOKEN: AXESS_SESSION_MODULE_OPTIONS,
  OPTIONS_TYPE: AXESS_SESSION_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AXESS_SESSION_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AxessSessionModuleOptions>({ moduleName: 'AxessSession' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createAxessSessionOptions')
  // Global like @nestjs/throttler: the guards and services work in feature modules as they are.
  .setExtras<AxessSessionModuleExtras>({ isGlobal: true, extraProviders: [] }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal !== false,
    providers: [...(definition.providers ?? []), ...(extras.extraProviders ?? [])],
  }))
  .build();
