import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Redis } from 'iovalkey';
import { AxessSessionModule, type AxessSessionModuleOptions } from '../../src/internal';
import { ValkeyEventRelay } from '../../src/valkey/valkey-event.relay';
import { AxessIoAdapter } from '../../src/socket-io';
import { AxessWsAdapter, type AxessWsAdapterOptions } from '../../src/ws';
import { sendHttpRequest } from './http-request';
import { listenOnLoopback, type AdapterName } from './listen';
import { whenLocalCacheReady } from './local-cache';
import { SecondTestGateway, SessionTestGateway } from './session-gateway.app';
import { HeaderAuthGuard, SessionTestController } from './session-test.app';
import { randomKey, testClient, uniquePrefix } from './valkey';
import { waitFor } from './wait-for';

/** Which WebSocket adapter the app uses. */
export type SocketKind = 'ws' | 'socket.io';

/** What two instances of one app share: the keys and the key prefix. */
export interface SharedKeys {
  prefix: string;
  encryptionKey: Buffer;
  signingKey: Buffer;
}

/** Fresh keys and prefix, to start several instances of one app with. */
export function sharedKeys(): SharedKeys {
  return { prefix: uniquePrefix('sockets'), encryptionKey: randomKey(), signingKey: randomKey() };
}

/** An app with the session module, the HTTP test routes and `SessionTestGateway` behind an axess adapter. */
export interface SocketApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * Boots the test routes (`POST /login` with `x-user`, `DELETE /sessions/:id`, ...) and the test
 * gateway on Express or Fastify, with `AxessWsAdapter` or `AxessIoAdapter` (`adapterOptions`),
 * on the suite's Valkey with `keys`; waits until its events subscriber (and its local cache,
 * when `module.localCache` is on) is ready.
 */
export async function startSocketApp(
  http: AdapterName,
  kind: SocketKind,
  options: {
    keys?: SharedKeys;
    adapterOptions?: AxessWsAdapterOptions;
    module?: Partial<AxessSessionModuleOptions>;
    /** Add `SecondTestGateway` on the same path. */
    twoGateways?: boolean;
  } = {},
): Promise<SocketApp> {
  const keys = options.keys ?? sharedKeys();
  const client: Redis = testClient();
  @Module({
    imports: [AxessSessionModule.forRoot({ client, ...keys, ...options.module })],
    controllers: [SessionTestController],
    providers: [HeaderAuthGuard, SessionTestGateway, ...(options.twoGateways ? [SecondTestGateway] : [])],
  })
  class SocketAppModule {}
  const ref = await Test.createTestingModule({ imports: [SocketAppModule] }).compile();
  const { app, url } = await listenOnLoopback(ref, http, {
    beforeInit: (created) =>
      created.useWebSocketAdapter(
        kind === 'ws' ? new AxessWsAdapter(created, options.adapterOptions) : new AxessIoAdapter(created, options.adapterOptions),
      ),
  });
  await waitFor(() => app.get(ValkeyEventRelay).subscribed, 'the events subscription');
  await whenLocalCacheReady(app);
  return {
    app,
    url,
    close: async () => {
      await app.close();
      await client.quit();
    },
  };
}

/** Signs `user` in through `POST /login`; the cookie pair and the session id. */
export async function signIn(url: string, user = 'alice'): Promise<{ cookie: string; id: string }> {
  const answer = await sendHttpRequest(url, 'POST', '/login', { headers: { 'x-user': user } });
  expect(answer.status).toBe(200);
  const cookie = answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='))!.split(';')[0];
  return { cookie, id: answer.body.sessionId as string };
}

/** Revokes session `id` through `url`, from another session of `user`; resolves with the answer's status. */
export async function revokeFrom(url: string, id: string, user = 'alice'): Promise<number> {
  const other = await signIn(url, user);
  return (await sendHttpRequest(url, 'DELETE', `/sessions/${id}`, { cookie: other.cookie })).status;
}
