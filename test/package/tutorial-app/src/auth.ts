// The NestJS docs' passport session recipe, as an app that ran on express-session has it.
// Nothing here changes in the switch to axess.
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

export interface User {
  userId: number;
  username: string;
}

@Injectable()
export class UsersService {
  private readonly users = [
    { userId: 1, username: 'john', password: 'changeme' },
    { userId: 2, username: 'maria', password: 'guess' },
  ];

  async validateUser(username: string, pass: string): Promise<User | null> {
    const user = this.users.find((u) => u.username === username);
    if (user && user.password === pass) return { userId: user.userId, username: user.username };
    return null;
  }
}

@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(private readonly users: UsersService) {
    super();
  }

  async validate(username: string, password: string): Promise<User> {
    const user = await this.users.validateUser(username, password);
    if (!user) throw new UnauthorizedException();
    return user;
  }
}

@Injectable()
export class SessionSerializer extends PassportSerializer {
  serializeUser(user: User, done: (err: Error | null, user: User) => void): void {
    done(null, user);
  }
  deserializeUser(payload: User, done: (err: Error | null, payload: User) => void): void {
    done(null, payload);
  }
}

@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const result = (await super.canActivate(context)) as boolean;
    const request = context.switchToHttp().getRequest();
    await super.logIn(request);
    return result;
  }
}

@Injectable()
export class AuthenticatedGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest();
    return request.isAuthenticated();
  }
}

@Controller()
export class AppController {
  @UseGuards(LocalAuthGuard)
  @Post('auth/login')
  login(@Request() req: any) {
    return req.user;
  }

  @UseGuards(AuthenticatedGuard)
  @Get('profile')
  getProfile(@Request() req: any) {
    return req.user;
  }

  @Get('views')
  views(@Session() session: Record<string, any>) {
    session.views = (session.views ?? 0) + 1;
    return { views: session.views };
  }

  @Post('auth/logout')
  logout(@Request() req: any) {
    return new Promise((resolve, reject) => req.logout((err: unknown) => (err ? reject(err) : resolve({ ok: true }))));
  }
}

@Module({
  imports: [PassportModule.register({ session: true })],
  providers: [UsersService, LocalStrategy, SessionSerializer],
  controllers: [AppController],
})
export class AuthModule {}
