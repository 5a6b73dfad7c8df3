import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import type { AxessSessionModuleOptions } from './axess-session.options.js';

/** Extras accepted by both `forRoot` and `forRootAsync`. */
export interface AxessSessionModuleExtras {
  /** Register the module globally. @default false */
  isGlobal?: boolean;
  /** More providers to register in the module (e.g. what a `useClass` factory needs). */
  extraProviders?: Provider[];
}

export const {
  ConfigurableModuleClass: AxessSessionConfigurableModule,
  MODULE_OPTIONS_TOKEN: AXESS_SESSION_MODULE_OPTIONS,
  OPTIONS_TYPE: AXESS_SESSION_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AXESS_SESSION_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AxessSessionModuleOptions>({ moduleName: 'AxessSession' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createAxessSessionOptions')
  .setExtras<AxessSessionModuleExtras>({ isGlobal: false, extraProviders: [] }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers: [...(definition.providers ?? []), ...(extras.extraProviders ?? [])],
  }))
  .build();
