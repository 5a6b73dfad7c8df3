import {
  Controller,
  ExecutionContext,
  Get,
  Injectable,
  Module,
  Post,
  Request,
  Session,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
} from '@nestjs/common';
import { AuthGuard, PassportModule, PassportSerializer, PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';

/**
 * An app as the NestJS docs' passport session recipe writes it for express-session: a local
 * strategy, a `PassportSerializer`, a guard calling `super.logIn(request)`, a guard on
 * `req.isAuthenticated()`, `req.logout(cb)`, and `@Session()` from `@nestjs/common`. Nothing in
 * it knows axess: the tests boot it next to `AxessSessionModule` in place of express-session.
 */

export interface DocsUser {
  userId: number;
  username: string;
}

const USERS = [
  { userId: 1, username: 'john', password: 'changeme' },
  { userId: 2, username: 'maria', password: 'guess' },
];

@Injectable()
export class DocsLocalStrategy extends PassportStrategy(Strategy) {
  validate(username: string, password: string): DocsUser {
    const user = USERS.find((u) => u.username === username && u.password === password);
    if (!user) throw new UnauthorizedException();
    return { userId: user.userId, username: user.username };
  }
}

@Injectable()
export class DocsSessionSerializer extends PassportSerializer {
  serializeUser(user: DocsUser, done: (err: Error | null, user: DocsUser) => void): void {
    done(null, user);
  }
  deserializeUser(payload: DocsUser, done: (err: Error | null, payload: DocsUser) => void): void {
    done(null, payload);
  }
}

@Injectable()
export class DocsLocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const result = (await super.canActivate(context)) as boolean;
    const request = context.switchToHttp().getRequest<Express.Request>();
    await super.logIn(request);
    return result;
  }
}

@Injectable()
export class DocsAuthenticatedGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<Express.Request>().isAuthenticated();
  }
}

/** Only `AuthGuard('local')`: the password is checked and nobody is signed in (the silent non-sign-in). */
@Injectable()
export class DocsPlainLocalGuard extends AuthGuard('local') {}

@Controller()
export class DocsAppController {
  @UseGuards(DocsLocalAuthGuard)
  @Post('auth/login')
  login(@Request() req: Express.Request): unknown {
    return req.user;
  }

  @UseGuards(DocsPlainLocalGuard)
  @Post('auth/check-password')
  checkPassword(@Request() req: Express.Request): unknown {
    return req.user;
  }

  @UseGuards(DocsAuthenticatedGuard)
  @Get('profile')
  getProfile(@Request() req: Express.Request): unknown {
    return req.user;
  }

  @Get('views')
  views(@Session() session: Record<string, unknown>): { views: number } {
    session.views = ((session.views as number | undefined) ?? 0) + 1;
    return { views: session.views as number };
  }

  @Post('auth/logout')
  logout(@Request() req: Express.Request): Promise<{ ok: true }> {
    return new Promise((resolve, reject) => req.logout((err) => (err ? reject(err as Error) : resolve({ ok: true }))));
  }
}

/** The recipe's auth module: passport in session mode, the strategy, the serializer, the routes. */
@Module({
  imports: [PassportModule.register({ session: true })],
  providers: [DocsLocalStrategy, DocsSessionSerializer],
  controllers: [DocsAppController],
})
export class DocsAuthModule {}
