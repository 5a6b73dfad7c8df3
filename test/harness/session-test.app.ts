import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Injectable,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  AxessAuthenticatedGuard,
  AxessSession,
  AxessSessionService,
  MaxSessions,
  MaxSessionsGuard,
  CurrentSession,
  getAxessSession,
} from '../../src/internal';
import { responseSink } from '../../src/http/response-cookies';
import { requestGates } from './request-gate';

/**
 * Stands in for the app's own authentication guard (e.g. passport's): trusts an `x-user` header
 * and sets `req.user`, so the tests can focus on what comes after it.
 */
@Injectable()
export class HeaderAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const name = req.headers['x-user'];
    if (name) req.user = { id: name, name };
    return true;
  }
}

/** A guard subclass reading the user id its own way, as apps with other user shapes do. */
@Injectable()
export class UpperCaseIdGuard extends MaxSessionsGuard {
  protected override getUserId(user: unknown): string | undefined {
    return (user as { name: string }).name.toUpperCase();
  }
}

/** An auth guard that authenticates a user object without any id. */
@Injectable()
export class IdlessUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    context.switchToHttp().getRequest<{ user?: unknown }>().user = { name: 'nobody' };
    return true;
  }
}

/** A guard after the login that refuses (e.g. a role check). */
/** Holds the request (its session already loaded) at the gate its `x-gate` header names, if any. */
@Injectable()
export class HoldGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const gate = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-gate'];
    if (gate !== undefined) await requestGates.get(gate)?.hold();
    return true;
  }
}

@Injectable()
export class RefuseGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** Routes exercising the session layer; identical under Express and Fastify. */
@Controller()
export class SessionTestController {
  constructor(private readonly sessions: AxessSessionService) {}

  @Get()
  root(@CurrentSession() session: AxessSession) {
    return { id: session.id ?? null, userId: session.userId ?? null };
  }

  @Get('visit')
  visit(@CurrentSession() session: AxessSession) {
    return { id: session.id ?? null, userId: session.userId ?? null, data: session.data };
  }

  @Post('data')
  @HttpCode(200)
  setData(@CurrentSession() session: AxessSession, @Body() body: Record<string, unknown>) {
    for (const [key, value] of Object.entries(body)) session.set(key, value);
    return { id: session.id ?? null, changed: session.changed };
  }

  @Get('data')
  getData(@Req() req: unknown) {
    const session = getAxessSession(req);
    return { id: session.id ?? null, data: session.data, createdAt: session.createdAt?.getTime() ?? null };
  }

  @Post('clear')
  @HttpCode(200)
  clear(@CurrentSession() session: AxessSession) {
    session.clear();
    return {};
  }

  @Post('login')
  @HttpCode(200)
  @UseGuards(HeaderAuthGuard, MaxSessionsGuard)
  login(@CurrentSession() session: AxessSession) {
    return { userId: session.userId ?? null, sessionId: session.id ?? null };
  }

  /** A login held between the session's load and the guard that completes it (`x-gate`). */
  @Post('held-login')
  @HttpCode(200)
  @UseGuards(HeaderAuthGuard, HoldGuard, MaxSessionsGuard)
  heldLogin(@CurrentSession() session: AxessSession) {
    return { userId: session.userId ?? null, sessionId: session.id ?? null };
  }

  @Post('login-one')
  @HttpCode(200)
  @MaxSessions(1)
  @UseGuards(HeaderAuthGuard, MaxSessionsGuard)
  loginOne(@CurrentSession() session: AxessSession) {
    return { userId: session.userId ?? null, sessionId: session.id ?? null };
  }

  @Post('login-two-refuse')
  @HttpCode(200)
  @MaxSessions(2, { onSessionLimit: 'refuse' })
  @UseGuards(HeaderAuthGuard, MaxSessionsGuard)
  loginTwoRefuse(@CurrentSession() session: AxessSession) {
    return { userId: session.userId ?? null, sessionId: session.id ?? null };
  }

  @Post('login-two-evict')
  @HttpCode(200)
  @MaxSessions(2, { onSessionLimit: 'evict-oldest' })
  @UseGuards(HeaderAuthGuard, MaxSessionsGuard)
  loginTwoEvict(@CurrentSession() session: AxessSession) {
    return { userId: session.userId ?? null, sessionId: session.id ?? null };
  }

  @Post('login-and-store')
  @HttpCode(200)
  @UseGuards(HeaderAuthGuard, MaxSessionsGuard)
  loginAndStore(@CurrentSession() session: AxessSession) {
    session.set('greeting', `hello ${session.userId}`);
    return { userId: session.userId ?? null, sessionId: session.id ?? null };
  }

  @Post('login-then-refused')
  @UseGuards(HeaderAuthGuard, MaxSessionsGuard, RefuseGuard)
  loginThenRefused() {
    return { unreachable: true };
  }

  @Post('login-upper')
  @HttpCode(200)
  @UseGuards(HeaderAuthGuard, UpperCaseIdGuard)
  loginUpper(@CurrentSession() session: AxessSession) {
    return { userId: session.userId ?? null };
  }

  @Post('login-idless')
  @HttpCode(200)
  @UseGuards(IdlessUserGuard, MaxSessionsGuard)
  loginIdless(@CurrentSession() session: AxessSession) {
    return { userId: session.userId ?? null };
  }

  @Post('service-login')
  @HttpCode(200)
  async serviceLogin(@Req() req: unknown, @Body() body: { user: string; max?: number; rememberMe?: boolean }) {
    const result = await this.sessions.authenticate(req, body.user, { maxSessions: body.max, rememberMe: body.rememberMe });
    return result;
  }

  /** The guard alone, with no authentication guard before it: must do nothing. */
  @Post('guard-only')
  @HttpCode(200)
  @UseGuards(MaxSessionsGuard)
  guardOnly(@CurrentSession() session: AxessSession) {
    return { userId: session.userId ?? null, sessionId: session.id ?? null };
  }

  @Get('me')
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, sessionId: session.id, authenticatedAt: session.authenticatedAt?.getTime(), data: session.data };
  }

  /** `/me` with the app's own Cache-Control (Nest's `@Header`, through the adapter's reply). */
  @Get('me-public')
  @Header('Cache-Control', 'public, max-age=60')
  @UseGuards(AxessAuthenticatedGuard)
  mePublic(@CurrentSession() session: AxessSession) {
    return { userId: session.userId };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Req() req: unknown) {
    await this.sessions.logout(req);
    return {};
  }

  @Post('destroy')
  @HttpCode(200)
  destroy(@CurrentSession() session: AxessSession) {
    session.destroy();
    return {};
  }

  @Post('regenerate')
  @HttpCode(200)
  regenerate(@CurrentSession() session: AxessSession) {
    session.regenerate();
    return {};
  }

  /** The session is revoked (as by another request) while this one still holds it, then changed. */
  @Post('revoked-then-set')
  @HttpCode(200)
  async revokedThenSet(@CurrentSession() session: AxessSession) {
    await this.sessions.revokeSession(session.userId!, session.id!);
    session.set('afterRevoke', true);
    return {};
  }

  @Post('revoked-then-regenerate')
  @HttpCode(200)
  async revokedThenRegenerate(@CurrentSession() session: AxessSession) {
    await this.sessions.revokeSession(session.userId!, session.id!);
    session.regenerate();
    return {};
  }

  @Post('set-then-throw')
  setThenThrow(@CurrentSession() session: AxessSession) {
    session.set('beforeError', true);
    throw new BadRequestException('handler failed');
  }

  @Post('with-app-cookie')
  @HttpCode(200)
  withAppCookie(@CurrentSession() session: AxessSession, @Res({ passthrough: true }) res: unknown) {
    responseSink(res).appendCookie('app=1; Path=/');
    session.set('withAppCookie', true);
    return {};
  }

  @Get('sessions')
  @UseGuards(AxessAuthenticatedGuard)
  list(@CurrentSession() session: AxessSession) {
    return this.sessions.listSessions(session.userId!, session.id);
  }

  @Delete('sessions/:id')
  @UseGuards(AxessAuthenticatedGuard)
  async revoke(@CurrentSession() session: AxessSession, @Param('id') id: string) {
    if (!(await this.sessions.revokeSession(session.userId!, id))) throw new NotFoundException();
    return {};
  }

  @Post('sessions/revoke-others')
  @HttpCode(200)
  @UseGuards(AxessAuthenticatedGuard)
  revokeOthers(@CurrentSession() session: AxessSession) {
    return this.sessions.revokeOthers(session.userId!, session.id!);
  }

  @Post('logout-all')
  @HttpCode(200)
  @UseGuards(AxessAuthenticatedGuard)
  async logoutAll(@CurrentSession() session: AxessSession) {
    return { revoked: await this.sessions.revokeAll(session.userId!) };
  }

  /** Loads the session, waits at the named gate (the test revokes meanwhile), then changes it. */
  @Post('slow-set/:gate')
  @HttpCode(200)
  @UseGuards(AxessAuthenticatedGuard)
  async slowSet(@CurrentSession() session: AxessSession, @Param('gate') gate: string, @Body() body: Record<string, unknown>) {
    await requestGates.get(gate)?.hold();
    for (const [key, value] of Object.entries(body)) session.set(key, value);
    return { id: session.id ?? null };
  }
}
