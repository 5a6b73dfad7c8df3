import { listenOnLoopback } from './listen';
import { Module, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Redis } from 'iovalkey';
import { AxessSessionModule, type AxessSessionModuleOptions } from '../../src/internal';
import { sendHttpRequest, type HttpAnswer, type HttpRequestOptions } from './http-request';
import { randomKey, testClient, uniquePrefix } from './valkey';
import { HeaderAuthGuard, SessionTestController } from './session-test.app';

export type AdapterName = 'express' | 'fastify';
export type BackendName = 'valkey' | 'memory';

/** A running test app and what the tests need to look inside it. */
export interface TestApp {
  app: INestApplication;
  url: string;
  prefix: string;
  options: AxessSessionModuleOptions;
  /** The app's own Valkey client (commands on it are ordered with the app's), or undefined for memory. */
  client?: Redis;
  close(): Promise<void>;
}

/** Boots the test controller on `adapter` with the session module, listening on a free loopback port. */
export async function startTestApp(
  adapter: AdapterName,
  backend: BackendName,
  overrides: Partial<AxessSessionModuleOptions> = {},
  setup: { globalPrefix?: string; controllers?: Type[]; trustProxy?: boolean } = {},
): Promise<TestApp> {
  const prefix = uniquePrefix('http');
  const client = backend === 'valkey' && !overrides.client ? testClient() : (overrides.client as Redis | undefined);
  const options: AxessSessionModuleOptions = {
    ...(backend === 'valkey' ? { client } : { store: 'memory' as const }),
    prefix,
    encryptionKey: randomKey(),
    signingKey: randomKey(),
    ...overrides,
  };

  @Module({
    imports: [AxessSessionModule.forRoot(options)],
    controllers: [SessionTestController, ...(setup.controllers ?? [])],
    providers: [HeaderAuthGuard],
  })
  class TestAppModule {}

  const ref = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
  const { app, url } = await listenOnLoopback(ref, adapter, {
    trustProxy: setup.trustProxy,
    beforeInit: (created) => {
      if (setup.globalPrefix) created.setGlobalPrefix(setup.globalPrefix);
    },
  });
  return {
    app,
    url,
    prefix,
    options,
    client,
    close: async () => {
      await app.close();
      if (client && !overrides.client) await client.quit();
    },
  };
}

/** An HTTP answer with its cookies split out. */
export type Answer = HttpAnswer;

/** Sends a request with an optional raw `Cookie` header and JSON body. */
export function send(url: string, method: string, path: string, options: HttpRequestOptions = {}): Promise<Answer> {
  return sendHttpRequest(url, method, path, options);
}

/** The session cookie's default name when it is Secure (the module's default `secure: true`). */
export const SESSION_COOKIE = '__Host-axess.sid';
/** The session cookie's default name when it is not Secure. */
export const PLAIN_SESSION_COOKIE = 'axess.sid';
// Any of the module's default names.
const DEFAULT_NAMES = /^(__Host-|__Secure-)?axess\.sid=/;

/** The `name=value` pair of the Set-Cookie for `name` (default: the session cookie under its default name), ready to send back, if any. */
export function cookiePair(answer: Answer, name?: string): string | undefined {
  const header = answer.setCookies.find((c) => (name === undefined ? DEFAULT_NAMES.test(c) : c.startsWith(`${name}=`)));
  return header?.split(';')[0];
}
