import { Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { PeerSessionGuard } from './peer-session.guard';

/** What both session middlewares put on the request (express-session or @fastify/session). */
interface PeerRequest {
  session: {
    userId?: string;
    id?: string;
    sessionId?: string;
    regenerate(callback?: (error?: unknown) => void): unknown;
  };
}

/**
 * The sample's two routes on a peer session library: `POST /auth/login` (new id, user bound)
 * and `GET /me` (401 unless signed in).
 */
@Controller()
export class PeerController {
  @Post('auth/login')
  @HttpCode(200)
  async login(@Req() req: PeerRequest) {
    // Session-fixation defence, as the sample's login does: a fresh id, then the user.
    await new Promise<void>((resolve, reject) => {
      // The session library's own error, passed through as it is.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      const done = (error?: unknown) => (error ? reject(error) : resolve());
      const result = req.session.regenerate(done);
      if (result instanceof Promise) result.then(() => resolve(), reject);
    });
    req.session.userId = 'alice';
    return { userId: 'alice' };
  }

  @Get('me')
  @UseGuards(PeerSessionGuard)
  me(@Req() req: PeerRequest) {
    return { userId: req.session.userId, sessionId: req.session.id ?? req.session.sessionId };
  }
}
