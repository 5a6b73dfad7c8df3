import { Controller, Get, Injectable, Module, Post, UseGuards, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AxessAuthenticatedGuard,
  AxessHealthService,
  AxessSessionEvents,
  AxessSessionMiddleware,
  AxessSessionModule,
  AxessSessionService,
  Clock,
  MaxSessionsGuard,
  SessionCipher,
  SessionRegistry,
  SessionStore,
  type AxessSessionModuleOptions,
  type AxessSessionOptionsFactory,
} from '../../src/index';
import { axessCoreExports } from '../../src/internal';
import { randomKey, testValkeyUrl, uniquePrefix } from '../harness/valkey';

/**
 * How a NestJS team wires the module: imported once at the root, used from feature modules that
 * do not import it. Everything here goes through the public entry point.
 */

@Injectable()
class AuthService {
  constructor(
    readonly sessions: AxessSessionService,
    readonly store: SessionStore,
    readonly registry: SessionRegistry,
    readonly clock: Clock,
    readonly cipher: SessionCipher,
    readonly events: AxessSessionEvents,
    readonly health: AxessHealthService,
  ) {}
}

@Controller('feature')
class FeatureController {
  @Post('login')
  @UseGuards(MaxSessionsGuard)
  login(): string {
    return 'ok';
  }

  @Get('me')
  @UseGuards(AxessAuthenticatedGuard)
  me(): string {
    return 'ok';
  }
}

/** A feature module that does not import AxessSessionModule. */
@Module({ controllers: [FeatureController], providers: [AuthService] })
class FeatureModule {}

const options = (): AxessSessionModuleOptions => ({
  connection: { url: testValkeyUrl() },
  prefix: uniquePrefix('wiring'),
  encryptionKey: randomKey(),
  signingKey: randomKey(),
});

@Injectable()
class SessionConfig implements AxessSessionOptionsFactory {
  createAxessSessionOptions(): AxessSessionModuleOptions {
    return { ...options(), store: 'memory', connection: undefined };
  }
}

async function bootRoot(root: Type) {
  const ref = await Test.createTestingModule({ imports: [root] }).compile();
  return ref.createNestApplication({ logger: false }).init();
}

describe('AxessSessionModule wiring', () => {
  it.each([
    ['forRoot', () => AxessSessionModule.forRoot(options())],
    ['forRootAsync({ useFactory })', () => AxessSessionModule.forRootAsync({ useFactory: options })],
    ['forRootAsync({ useClass })', () => AxessSessionModule.forRootAsync({ useClass: SessionConfig })],
  ])(
    'is global by default with %s: a feature module injects every service and uses both guards without importing it',
    async (_label, module) => {
      @Module({ imports: [module(), FeatureModule] })
      class AppModule {}
      const app = await bootRoot(AppModule);
      try {
        const auth = app.get(AuthService);
        expect(auth.sessions).toBeInstanceOf(AxessSessionService);
        expect(auth.store).toBeInstanceOf(SessionStore);
        expect(auth.registry).toBeInstanceOf(SessionRegistry);
        expect(auth.clock).toBeInstanceOf(Clock);
        expect(auth.cipher).toBeInstanceOf(SessionCipher);
        expect(auth.events).toBeInstanceOf(AxessSessionEvents);
        expect((await auth.health.check()).status).toBe('up');
      } finally {
        await app.close();
      }
    },
  );

  it('isGlobal: false keeps it to the modules that import it: a feature module using its guard fails the boot', async () => {
    @Module({ controllers: [FeatureController] })
    class GuardOnlyModule {}
    @Module({ imports: [AxessSessionModule.forRoot({ ...options(), isGlobal: false }), GuardOnlyModule] })
    class AppModule {}
    await expect(bootRoot(AppModule)).rejects.toThrow(
      /can't resolve dependencies of the MaxSessionsGuard.*AxessSessionService at index \[0\]/s,
    );
  });

  it('isGlobal: false still serves the modules that import it', async () => {
    @Module({
      imports: [AxessSessionModule.forRoot({ ...options(), isGlobal: false })],
      controllers: [FeatureController],
      providers: [AuthService],
    })
    class AppModule {}
    const app = await bootRoot(AppModule);
    expect(app.get(AuthService).sessions).toBeInstanceOf(AxessSessionService);
    await app.close();
  });

  it('a feature module can mount the middleware itself (mountMiddleware: false): its dependencies all resolve', async () => {
    @Module({ controllers: [FeatureController] })
    class MountingModule {
      configure(consumer: { apply(m: unknown): { forRoutes(p: string): void } }) {
        consumer.apply(AxessSessionMiddleware).forRoutes('{*path}');
      }
    }
    @Module({ imports: [AxessSessionModule.forRoot({ ...options(), mountMiddleware: false }), MountingModule] })
    class AppModule {}
    const app = await bootRoot(AppModule);
    await app.close();
  });

  it.each([
    [
      'the in-memory store without a signing key (middleware off)',
      { store: 'memory' as const, encryptionKey: randomKey(), mountMiddleware: false },
    ],
    ['the Valkey store', options()],
  ])('no provider it exports resolves to null or undefined: %s', async (_label, given) => {
    const ref = await Test.createTestingModule({ imports: [AxessSessionModule.forRoot(given)] }).compile();
    const app = await ref.init();
    try {
      for (const token of axessCoreExports) expect(app.get(token as Type)).toEqual(expect.anything());
    } finally {
      await app.close();
    }
  });
});
