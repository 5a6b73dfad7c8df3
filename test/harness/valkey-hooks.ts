import { Redis, type RedisOptions } from 'iovalkey';
import { startValkeyServer, type ValkeyTestServer, type ValkeyTestServerOptions } from '../../src/testing';
import { testClient } from './valkey';

/** Whether the hooks run once around the enclosing describe block or around each of its tests. */
export type HookScope = 'all' | 'each';

/** A client that the enclosing describe block's hooks open and close; read it inside tests and hooks. */
export interface ValkeyClientHandle {
  readonly client: Redis;
}

/** A private valkey-server and a client on it, both owned by the enclosing describe block's hooks. */
export interface PrivateValkeyHandle extends ValkeyClientHandle {
  readonly server: ValkeyTestServer;
}

/** Options of {@link withPrivateValkey}. */
export interface PrivateValkeyOptions {
  /** @default 'all' */
  scope?: HookScope;
  /** How the server starts (extra args, ...). */
  server?: ValkeyTestServerOptions;
  /** Options of the client on it. */
  client?: RedisOptions;
}

/** Registers the setup and teardown hooks of one scope. */
function hooks(scope: HookScope, setUp: () => Promise<void> | void, tearDown: () => Promise<void>): void {
  if (scope === 'each') {
    beforeEach(setUp);
    afterEach(tearDown);
  } else {
    beforeAll(setUp);
    afterAll(tearDown);
  }
}

/** The value set by a setup hook; reading it elsewhere (e.g. at describe time) is a test bug. */
function opened<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`The ${what} exists only inside tests and hooks (it is opened by a setup hook).`);
  return value;
}

/** A client on the suite's valkey-server, opened before the block's tests (all or each) and quit after. */
export function withTestClient(scope: HookScope = 'all'): ValkeyClientHandle {
  let client: Redis | undefined;
  hooks(
    scope,
    () => {
      client = testClient();
    },
    async () => {
      await client?.quit();
      client = undefined;
    },
  );
  return {
    get client() {
      return opened(client, 'client');
    },
  };
}

/**
 * A private valkey-server on a free loopback port and a client on it, started before the block's
 * tests (all or each) and stopped after: for tests that change the server itself or read all of it.
 */
export function withPrivateValkey(options: PrivateValkeyOptions = {}): PrivateValkeyHandle {
  let server: ValkeyTestServer | undefined;
  let client: Redis | undefined;
  hooks(
    options.scope ?? 'all',
    async () => {
      server = await startValkeyServer(options.server);
      client = new Redis(server.url, options.client ?? {});
    },
    async () => {
      client?.disconnect();
      await server?.stop();
      [server, client] = [undefined, undefined];
    },
  );
  return {
    get server() {
      return opened(server, 'server');
    },
    get client() {
      return opened(client, 'client');
    },
  };
}
