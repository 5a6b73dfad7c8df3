import { Body, Controller, Get, Injectable, Post, UnauthorizedException, UseGuards, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { AxessAuthenticatedGuard, AxessSession, AxessSessionModule, CurrentSession, MaxSessionsGuard } from '@axess/nestjs-session';
import type { PeerApp } from './peer.app';

/**
 * The README's "complete minimal app", as it is there: the library, passport-local and one
 * controller, nothing else (no GraphQL, throttler, metrics SDK, WebSockets or pages). Beside the
 * bare app it measures the library's own cost per request; beside the sample, what the sample's
 * extras cost.
 */

// The README's `cart`, under a name of its own: this augmentation is seen by the project's tests too.
declare module '@axess/nestjs-session' {
  interface AxessSessionData {
    minimalAppCart: { items: string[] };
  }
}

@Injectable()
class LocalStrategy extends PassportStrategy(Strategy) {
  validate(username: string, password: string) {
    if (password !== `${username}-password`) throw new UnauthorizedException();
    return { id: username };
  }
}

@Controller()
class AppController {
  @Post('login')
  @UseGuards(AuthGuard('local'), MaxSessionsGuard)
  login(@CurrentSession() session: AxessSession) {
    return { userId: session.userId };
  }

  @Post('cart')
  @UseGuards(AxessAuthenticatedGuard)
  add(@CurrentSession() session: AxessSession, @Body('item') item: string) {
    const cart = session.get('minimalAppCart') ?? { items: [] };
    cart.items.push(item);
    session.set('minimalAppCart', cart);
    return cart;
  }

  @Get('me')
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession) {
    return { userId: session.userId }; // never the session id: it is the cookie's secret
  }
}

export interface MinimalAppOptions {
  valkeyUrl: string;
  encryptionKey: string;
  signingKey: string;
  prefix: string;
  localCache: boolean;
}

function appModule(options: MinimalAppOptions): DynamicModule {
  return {
    module: class MinimalAppModule {},
    imports: [
      PassportModule,
      AxessSessionModule.forRoot({
        connection: { url: options.valkeyUrl },
        encryptionKey: options.encryptionKey,
        signingKey: options.signingKey,
        maxSessionsPerUser: 3,
        prefix: options.prefix,
        ...(options.localCache ? { localCache: true } : {}),
      }),
    ],
    controllers: [AppController],
    providers: [LocalStrategy],
  };
}

/** The README's minimal app on Express or Fastify. */
export async function createMinimalApp(fastify: boolean, options: MinimalAppOptions): Promise<PeerApp> {
  const app = fastify
    ? await NestFactory.create<NestFastifyApplication>(appModule(options), new FastifyAdapter(), { logger: ['error', 'warn'] })
    : await NestFactory.create(appModule(options), { logger: ['error', 'warn'] });
  return { app, close: () => app.close() };
}
