import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'iovalkey';
import {
  AesGcmSessionCipher,
  AxessSessionModule,
  Clock,
  InMemorySessionStore,
  InstrumentedSessionStore,
  SessionBackend,
  mintSessionId,
  SessionCipher,
  SessionRegistry,
  SessionStore,
  SystemClock,
  ValkeySessionStore,
  type AxessSessionModuleOptions,
  type AxessSessionOptionsFactory,
} from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { randomKey, testClient, testValkeyUrl, uniquePrefix } from '../harness/valkey';

const keys = () => ({ encryptionKey: randomKey().toString('base64'), signingKey: randomKey() });

async function boot(module: ReturnType<typeof AxessSessionModule.forRoot>): Promise<INestApplicationContext> {
  const ref = await Test.createTestingModule({ imports: [module] }).compile();
  return ref.init();
}

/**
 * The server's `CLIENT LIST` once a client that started connecting just before would have
 * connected: a round trip of our own, then 100 ms.
 */
async function clientListAfterAWhile(): Promise<string> {
  const probe = testClient();
  try {
    await probe.ping();
    await new Promise((r) => setTimeout(r, 100));
    return String(await probe.call('CLIENT', 'LIST'));
  } finally {
    await probe.quit();
  }
}

async function roundTrip(app: INestApplicationContext): Promise<void> {
  const store = app.get(SessionStore);
  const id = mintSessionId();
  await store.save(id, { data: { hello: 'world' }, createdAt: 1 }, 60_000);
  expect((await store.load(id))?.data).toEqual({ hello: 'world' });
}

@Injectable()
class OptionsFactory implements AxessSessionOptionsFactory {
  createAxessSessionOptions(): AxessSessionModuleOptions {
    return { connection: { url: testValkeyUrl() }, prefix: uniquePrefix(), ...keys() };
  }
}

@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class OptionsModule {}

describe('AxessSessionModule', () => {
  it('forRoot with connection options provides a working Valkey store, clock and cipher', async () => {
    const app = await boot(AxessSessionModule.forRoot({ connection: { url: testValkeyUrl() }, prefix: uniquePrefix(), ...keys() }));
    // The provided store records its calls (telemetry) around the Valkey store.
    expect(app.get<SessionStore, InstrumentedSessionStore>(SessionStore).inner).toBeInstanceOf(ValkeySessionStore);
    expect(app.get(SessionStore).backend).toBe('valkey');
    expect(app.get(Clock)).toBeInstanceOf(SystemClock);
    expect(app.get(SessionCipher)).toBeInstanceOf(AesGcmSessionCipher);
    await roundTrip(app);
    await app.close();
  });

  it('forRootAsync useFactory with inject resolves the services', async () => {
    const clock = new ManualClock();
    const app = await boot(
      AxessSessionModule.forRootAsync({
        imports: [OptionsModule],
        inject: [OptionsFactory],
        useFactory: async (factory: OptionsFactory) => ({ ...factory.createAxessSessionOptions(), clock }),
      }),
    );
    expect(app.get(Clock)).toBe(clock);
    await roundTrip(app);
    await app.close();
  });

  it('forRootAsync useClass resolves the services', async () => {
    const app = await boot(AxessSessionModule.forRootAsync({ useClass: OptionsFactory }));
    await roundTrip(app);
    await app.close();
  });

  it('forRootAsync useExisting resolves the services', async () => {
    const app = await boot(AxessSessionModule.forRootAsync({ imports: [OptionsModule], useExisting: OptionsFactory }));
    await roundTrip(app);
    await app.close();
  });

  it('forRootAsync extraProviders registers the providers a useExisting factory needs, inside the module', async () => {
    const app = await boot(AxessSessionModule.forRootAsync({ extraProviders: [OptionsFactory], useExisting: OptionsFactory }));
    await roundTrip(app);
    await app.close();
  });

  it("store: 'memory' selects the in-memory backend with no Valkey at all", async () => {
    const app = await boot(AxessSessionModule.forRoot({ store: 'memory', ...keys() }));
    expect(app.get<SessionStore, InstrumentedSessionStore>(SessionStore).inner).toBeInstanceOf(InMemorySessionStore);
    expect(app.get(SessionStore).backend).toBe('memory');
    await roundTrip(app);
    await app.close();
  });

  it('never closes an app-owned client, and quits the one it created', async () => {
    const owned = testClient();
    const app = await boot(AxessSessionModule.forRoot({ client: owned, prefix: uniquePrefix(), ...keys() }));
    await roundTrip(app);
    await app.close();
    expect(await owned.ping()).toBe('PONG');
    await owned.quit();

    const app2 = await boot(AxessSessionModule.forRoot({ connection: { url: testValkeyUrl() }, prefix: uniquePrefix(), ...keys() }));
    await roundTrip(app2);
    const created = app2.get(SessionBackend).connection!.client as Redis;
    expect(created.status).toBe('ready');
    const ended = new Promise<void>((resolve) => created.once('end', () => resolve()));
    await app2.close();
    await ended; // the socket closes right after QUIT is acknowledged
    expect(created.status).toBe('end');
  });

  it('encrypts with the configured key', async () => {
    const options = { connection: { url: testValkeyUrl() }, prefix: uniquePrefix(), ...keys() };
    const app = await boot(AxessSessionModule.forRoot(options));
    const id = mintSessionId();
    await app.get(SessionStore).save(id, { data: { secret: 'top' }, createdAt: 1 }, 60_000);
    const raw = testClient();
    const bytes = await raw.getBuffer(`${options.prefix}:sess:${id}`);
    expect(new AesGcmSessionCipher(options.encryptionKey).open(id, bytes!).length).toBeGreaterThan(0);
    expect(bytes!.includes(Buffer.from('top'))).toBe(false);
    await raw.quit();
    await app.close();
  });

  describe('fails at boot with a message naming the option', () => {
    const base = (): AxessSessionModuleOptions => ({ store: 'memory', ...keys() });
    it.each<[string, () => AxessSessionModuleOptions, RegExp]>([
      ['no encryption key', () => ({ ...base(), encryptionKey: undefined }), /`encryptionKey`.*openssl rand -base64 32/],
      [
        'a short encryption key',
        () => ({ ...base(), encryptionKey: randomKey().subarray(0, 16) }),
        /`encryptionKey`.*exactly 32 bytes, got 16/,
      ],
      ['a non-base64 key', () => ({ ...base(), encryptionKey: 'not a key!' }), /`encryptionKey`.*base64/],
      ['a bad previous key', () => ({ ...base(), previousEncryptionKeys: ['AAAA'] }), /`previousEncryptionKeys\[0\]`/],
      ['no signing key', () => ({ ...base(), signingKey: undefined }), /`signingKey`/],
      ['plaintext and a key', () => ({ ...base(), plaintext: true }), /`plaintext`/],
      ['a cap below 1', () => ({ ...base(), maxSessionsPerUser: 0 }), /`maxSessionsPerUser`/],
      ['a fractional cap', () => ({ ...base(), maxSessionsPerUser: 2.5 }), /`maxSessionsPerUser`/],
      ['absolute below idle', () => ({ ...base(), idleTimeoutMs: 60_000, absoluteTimeoutMs: 1_000 }), /`absoluteTimeoutMs`.*idleTimeoutMs/],
      ['a zero idle timeout', () => ({ ...base(), idleTimeoutMs: 0 }), /`idleTimeoutMs`/],
      ['a negative payload cap', () => ({ ...base(), maxPayloadBytes: -1 }), /`maxPayloadBytes`/],
      ['a prefix with a hash tag', () => ({ ...base(), prefix: '{app}' }), /`prefix`/],
      ['an unknown store', () => ({ ...base(), store: 'redis' as 'valkey' }), /`store`/],
      ['valkey without connection', () => ({ ...base(), store: 'valkey' }), /`connection`.*url/],
      ['a __Host- cookie without Secure', () => ({ ...base(), cookie: { name: '__Host-sid', secure: false } }), /`cookie.secure`/],
      ['SameSite=None without Secure', () => ({ ...base(), cookie: { sameSite: 'none', secure: false } }), /`cookie.secure`/],
      ['a cookie name with a space', () => ({ ...base(), cookie: { name: 'my sid' } }), /`cookie.name`/],
      ['durable writes for no replica', () => ({ ...base(), durableWrites: { replicas: 0, timeoutMs: 100 } }), /`durableWrites\.replicas`/],
      [
        'durable writes on the in-memory store',
        () => ({ ...base(), durableWrites: { replicas: 1, timeoutMs: 100 } }),
        /`durableWrites`: needs the Valkey store/,
      ],
      [
        'a durable-write wait not below the command timeout',
        () => ({ ...base(), commandTimeoutMs: 500, durableWrites: { replicas: 1, timeoutMs: 500 } }),
        /`durableWrites`.*timeoutMs \(500 ms\) must be below commandTimeoutMs \(500 ms\)/,
      ],
    ])('%s', async (_label, options, message) => {
      const compiling = Test.createTestingModule({ imports: [AxessSessionModule.forRoot(options())] }).compile();
      await expect(compiling).rejects.toMatchObject({ name: 'AxessOptionsError', message: expect.stringMatching(message) });
    });

    it('a bad durableWrites fails before the module creates its Valkey client (no connection left behind)', async () => {
      const connectionName = `axess-${uniquePrefix()}`;
      const options: AxessSessionModuleOptions = {
        connection: { url: testValkeyUrl(), connectionName },
        prefix: uniquePrefix(),
        ...keys(),
        durableWrites: { replicas: 0, timeoutMs: 100 },
      };
      await expect(Test.createTestingModule({ imports: [AxessSessionModule.forRoot(options)] }).compile()).rejects.toMatchObject({
        name: 'AxessOptionsError',
        option: 'durableWrites.replicas',
      });
      // A client created before the check would be connected by now.
      expect(await clientListAfterAWhile()).not.toContain(`name=${connectionName}`);
    });

    it('a boot that fails after the module created its Valkey client (a missing provider) leaves no connection open', async () => {
      const connectionName = `axess-${uniquePrefix()}`;
      @Injectable()
      class NeedsSomethingMissing {
        constructor(readonly missing: ManualClock) {}
      }
      @Module({
        imports: [AxessSessionModule.forRoot({ connection: { url: testValkeyUrl(), connectionName }, prefix: uniquePrefix(), ...keys() })],
        providers: [NeedsSomethingMissing],
      })
      class FailingApp {}
      await expect(Test.createTestingModule({ imports: [FailingApp] }).compile()).rejects.toThrow(/can't resolve dependencies/);
      // Nest never closes what a failed compile created: a client connected at creation would be
      // reconnecting forever (and keep the test process alive). It connects at init instead.
      expect(await clientListAfterAWhile()).not.toContain(`name=${connectionName}`);
    });

    it.each([
      ['a URL that does not parse (an unencoded "#" in the password)', 'redis://default:p#ss@valkey.internal:7001'],
      ['a URL whose port is out of range', 'redis://default:hunter2@valkey.internal:99999'],
      ['a URL of another scheme', 'https://default:hunter2@valkey.internal:7001'],
    ])('%s: AxessOptionsError naming connection, never the URL or its password, and no raw TypeError in the chain', async (_label, url) => {
      const error = await Test.createTestingModule({ imports: [AxessSessionModule.forRoot({ ...keys(), connection: { url } })] })
        .compile()
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(error).toMatchObject({ name: 'AxessOptionsError', option: 'connection' });
      const everything =
        JSON.stringify(error, Object.getOwnPropertyNames(error)) + String(error?.stack) + String((error as { cause?: unknown })?.cause);
      expect(everything).not.toContain('valkey.internal');
      expect(everything).not.toMatch(/hunter2|p#ss/);
      expect((error as { cause?: unknown }).cause).toBeUndefined();
    });

    it('accepts keys as 64 hex characters (openssl rand -hex 32) for both keys', async () => {
      const app = await boot(
        AxessSessionModule.forRoot({
          store: 'memory',
          encryptionKey: randomKey().toString('hex'),
          signingKey: `${randomKey().toString('hex')}\n`,
        }),
      );
      await roundTrip(app);
      await app.close();
    });

    it('a key of the wrong length says which formats are accepted, hex included', async () => {
      const error = await Test.createTestingModule({
        imports: [AxessSessionModule.forRoot({ ...base(), signingKey: randomKey().toString('hex').slice(0, 60) })],
      })
        .compile()
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(error).toMatchObject({ name: 'AxessOptionsError', option: 'signingKey' });
      expect(error?.message).toMatch(/64 hex characters/);
      expect(error?.message).toMatch(/base64/);
    });

    it('never echoes a key value in the message', async () => {
      const secret = 'c2VjcmV0LXZhbHVlLXRoYXQtaXMtbm90LTMyLWJ5dGVz';
      const error = await Test.createTestingModule({ imports: [AxessSessionModule.forRoot({ ...base(), encryptionKey: secret })] })
        .compile()
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(error?.name).toBe('AxessOptionsError');
      expect(error?.message).not.toContain(secret);
    });
  });

  it('overrideProvider(Clock) reaches the in-memory store and the registry too: expiry and registry scores follow it', async () => {
    const clock = new ManualClock(1_000_000);
    const ref = await Test.createTestingModule({ imports: [AxessSessionModule.forRoot({ store: 'memory', ...keys() })] })
      .overrideProvider(Clock)
      .useValue(clock)
      .compile();
    const app = await ref.init();
    try {
      expect(app.get(Clock)).toBe(clock);
      const store = app.get(SessionStore);
      const registry = app.get(SessionRegistry);
      const id = mintSessionId();
      await store.save(id, { data: {}, createdAt: clock.nowMs() }, 60_000);
      await registry.register('u1', id);
      expect((await registry.members('u1'))[0].registeredAt).toBe(1_000_000);
      clock.advance(59_999);
      expect(await store.load(id)).not.toBeNull();
      clock.advance(1);
      expect(await store.load(id)).toBeNull();
    } finally {
      await app.close();
    }
  });
});
