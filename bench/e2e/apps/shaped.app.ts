import { randomBytes } from 'node:crypto';
import {
  Controller,
  createParamDecorator,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  UseGuards,
  type CanActivate,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'iovalkey';
import type { PeerApp } from './peer.app';

/**
 * The bare app given the shape a session library gives `GET /me`, with none of its work: a
 * middleware on every route (attaches a constant), a guard on the route (lets it through), and a
 * parameter decorator (hands the handler the constant). What Nest charges for that shape alone is
 * the floor of any middleware + guard session library, this one with its local cache included.
 *
 * With a Valkey URL, the middleware also reads one value of a session's size (`GET`, on an
 * iovalkey client configured as the module configures its own: no auto-pipelining) before it
 * lets the request through: the floor of any library that reads its session from Valkey on every
 * request, without decrypting, decoding or checking anything.
 */

const SESSION = Object.freeze({ userId: 'alice', sessionId: 'none' });

@Injectable()
class NoopMiddleware implements NestMiddleware {
  use(req: { shaped?: unknown }, _res: unknown, next: () => void): void {
    req.shaped = SESSION;
    next();
  }
}

@Injectable()
class PassGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

const Shaped = createParamDecorator((_data: unknown, context: { switchToHttp(): { getRequest<T>(): T } }) => {
  return context.switchToHttp().getRequest<{ shaped?: typeof SESSION; raw?: { shaped?: typeof SESSION } }>().shaped ?? SESSION;
});

@Controller()
class ShapedController {
  @Post('auth/login')
  @HttpCode(200)
  login() {
    return { userId: 'alice' };
  }

  @Get('me')
  @UseGuards(PassGuard)
  me(@Shaped() session: typeof SESSION) {
    return { userId: session.userId, sessionId: session.sessionId };
  }
}

/** The key the fetching middleware reads: a value the size of the benchmark's encrypted session. */
const FETCHED_KEY = 'bench-shaped:fetched';
const FETCHED_CLIENT = Symbol('fetched client');

@Injectable()
class FetchingMiddleware implements NestMiddleware {
  constructor(@Inject(FETCHED_CLIENT) private readonly client: Redis) {}

  use(req: { shaped?: unknown }, _res: unknown, next: (error?: unknown) => void): void {
    this.client.getBuffer(FETCHED_KEY).then(
      (value) => {
        req.shaped = value === null ? undefined : SESSION;
        next();
      },
      (error: unknown) => next(error),
    );
  }
}

/** The shaped app on Express or Fastify; with `valkeyUrl`, its middleware reads one value per request. */
export async function createShapedApp(fastify: boolean, valkeyUrl?: string): Promise<PeerApp> {
  const client = valkeyUrl === undefined ? undefined : new Redis(valkeyUrl, { enableAutoPipelining: false });
  if (client !== undefined) await client.set(FETCHED_KEY, randomBytes(720));
  const middleware = client === undefined ? NoopMiddleware : FetchingMiddleware;

  @Module({ controllers: [ShapedController], providers: [PassGuard, { provide: FETCHED_CLIENT, useValue: client }] })
  class ShapedModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply(middleware).forRoutes('{*path}');
    }
  }

  const app = fastify
    ? await NestFactory.create<NestFastifyApplication>(ShapedModule, new FastifyAdapter(), { logger: ['error', 'warn'] })
    : await NestFactory.create(ShapedModule, { logger: ['error', 'warn'] });
  return {
    app,
    close: async () => {
      await app.close();
      await client?.quit();
    },
  };
}
