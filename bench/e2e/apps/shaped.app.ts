import {
  Controller,
  createParamDecorator,
  Get,
  HttpCode,
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
import type { PeerApp } from './peer.app';

/**
 * The bare app given the shape a session library gives `GET /me`, with none of its work: a
 * middleware on every route (attaches a constant), a guard on the route (lets it through), and a
 * parameter decorator (hands the handler the constant). What Nest charges for that shape alone is
 * the floor of any middleware + guard session library, this one with its local cache included.
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

@Module({ controllers: [ShapedController], providers: [PassGuard] })
class ShapedModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(NoopMiddleware).forRoutes('{*path}');
  }
}

/** The shaped app on Express or Fastify. */
export async function createShapedApp(fastify: boolean): Promise<PeerApp> {
  const app = fastify
    ? await NestFactory.create<NestFastifyApplication>(ShapedModule, new FastifyAdapter(), { logger: ['error', 'warn'] })
    : await NestFactory.create(ShapedModule, { logger: ['error', 'warn'] });
  return { app, close: () => app.close() };
}
