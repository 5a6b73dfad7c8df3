import { Controller, Get, HttpCode, Post } from '@nestjs/common';

/**
 * The sample's two routes with no session at all: `POST /auth/login` answers and sets nothing,
 * `GET /me` returns a constant. What Nest itself costs per request: the ceiling for any session
 * library on the same framework.
 */
@Controller()
export class BareController {
  @Post('auth/login')
  @HttpCode(200)
  login() {
    return { userId: 'alice' };
  }

  @Get('me')
  me() {
    return { userId: 'alice', sessionId: 'none' };
  }
}
