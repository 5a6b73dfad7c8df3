import { Controller, Get, Module, Req, UseGuards } from '@nestjs/common';
import { sign } from 'cookie-signature';
import { randomBytes } from 'node:crypto';
import { AxessAuthenticatedGuard, AxessSession, AxessSessionService, CurrentSession } from '../../src/index';

/** The routes an app that switched to axess serves: who is signed in, and the session's data. */
@Controller()
class MigratedController {
  constructor(private readonly sessions: AxessSessionService) {}

  @Get('me')
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, sessionId: session.id };
  }

  @Get('visit')
  visit(@CurrentSession() session: AxessSession) {
    return { userId: session.userId ?? null, sessionId: session.id ?? null, data: session.data };
  }

  @Get('sessions')
  @UseGuards(AxessAuthenticatedGuard)
  async list(@CurrentSession() session: AxessSession, @Req() _req: unknown) {
    return { count: (await this.sessions.listSessions(session.userId!, session.id)).length };
  }
}

/** The feature module of the migrated app (the session module comes from `startModuleApp`). */
@Module({ controllers: [MigratedController] })
export class MigratedFeature {}

/** Two secrets of at least 32 characters (@fastify/session's minimum): the first signs, both verify. */
export function legacySecrets(): string[] {
  return [randomBytes(24).toString('base64'), randomBytes(24).toString('base64')];
}

/** The legacy session id in a cookie pair of express-session (`s:` + signed) or @fastify/session. */
export function legacyIdOf(pair: string): string {
  const value = decodeURIComponent(pair.slice(pair.indexOf('=') + 1));
  const signed = value.startsWith('s:') ? value.slice(2) : value;
  return signed.slice(0, signed.lastIndexOf('.'));
}

/** An express-session cookie pair for `id`, signed with `secret` as express-session signs it. */
export function expressSessionCookie(id: string, secret: string, name = 'connect.sid'): string {
  return `${name}=${encodeURIComponent(`s:${sign(id, secret)}`)}`;
}

/** The `Set-Cookie` of a response that clears cookie `name`, if any. */
export function clearedCookie(setCookies: string[], name: string): string | undefined {
  return setCookies.find((header) => header.startsWith(`${name}=;`));
}
