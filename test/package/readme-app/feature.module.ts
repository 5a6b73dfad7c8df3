// A feature module of the README's app that does NOT import AxessSessionModule (it is global):
// a login route with a cap function, and a route that changes session data in place only.
import { Body, Controller, Get, Module, Post, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import {
  AxessAuthenticatedGuard,
  AxessSession,
  AxessSessionService,
  CurrentSession,
  MaxSessions,
  MaxSessionsGuard,
} from '@axess/nestjs-session';

@Controller('feature')
class FeatureController {
  constructor(private readonly sessions: AxessSessionService) {}

  @Post('login')
  @MaxSessions((user: { id: string }) => (user.id === 'root' ? 1 : 5))
  @UseGuards(AuthGuard('local'), MaxSessionsGuard)
  login(@CurrentSession() session: AxessSession) {
    return { userId: session.userId };
  }

  /** The express-session habit: push into what get() returned, never call set(). */
  @Post('cart/push')
  @UseGuards(AxessAuthenticatedGuard)
  push(@CurrentSession() session: AxessSession, @Body('item') item: string) {
    session.get('cart')!.items.push(item);
    return {};
  }

  @Get('cart')
  @UseGuards(AxessAuthenticatedGuard)
  cart(@CurrentSession() session: AxessSession) {
    return session.get('cart') ?? null;
  }

  @Get('sessions')
  @UseGuards(AxessAuthenticatedGuard)
  async list(@CurrentSession() session: AxessSession) {
    return (await this.sessions.listSessions(session.userId!, session.id)).length;
  }
}

@Module({ controllers: [FeatureController] })
export class FeatureModule {}
