import { Injectable, Logger, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AxessUnsupportedContextError, sessionCarrier } from '../http/session-carrier.js';
import { findAxessSession } from '../http/session-request.js';
import { AxessSessionService } from '../session/axess-session.service.js';
import type { LoginPolicy, MaxSessionsSetting } from '../session/login-policy.js';
import { forGraphql } from '../session/session-limit.exception.js';
import type { SessionLimitPolicy } from '../registry/session-limit.js';
import { AXESS_MAX_SESSIONS, AXESS_ON_SESSION_LIMIT } from './max-sessions.decorator.js';

/** The `reason` of the 401 when the authenticated user has no usable id. */
export const NO_USER_ID = 'no-user-id';

/**
 * Completes a login once the app's authentication guard has set `req.user`: rotates the session
 * id, binds the user and admits the session under the cap (`maxSessionsPerUser` or
 * `@MaxSessions(n)`), evicting the user's oldest sessions or, with `onSessionLimit: 'refuse'`,
 * answering 409 `{ reason: 'session-limit' }`. Without `req.user` it lets the request through, so
 * it must come after the guard that authenticates.
 *
 * Works on HTTP routes and GraphQL resolvers; on a WebSocket (no cookie) it lets a signed-in
 * socket through and throws `AxessUnsupportedContextError` for a login attempt. "Remember me" is
 * read by the module's `rememberMe.from`. Subclass it to change `getUser`, `getUserId`,
 * `getMaxSessions`, `getOnSessionLimit` or `getRememberMe`.
 *
 * @example
 * @Post('login')
 * @UseGuards(AuthGuard('local'), MaxSessionsGuard)
 * login(@CurrentSession() session: AxessSession) {
 *   return { userId: session.userId };
 * }
 */
@Injectable()
export class MaxSessionsGuard implements CanActivate {
  private readonly logger = new Logger('AxessSession');

  constructor(
    /** Completes the login (`authenticate`). */
    protected readonly sessions: AxessSessionService,
    /** Reads `@MaxSessions()` from the route and its controller. */
    protected readonly reflector: Reflector,
  ) {}

  /** The module's login settings: the default cap and how user ids are read. @internal */
  protected get policy(): LoginPolicy {
    return this.sessions.loginPolicy;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const carrier = sessionCarrier(context, 'MaxSessionsGuard');
    const user = this.getUser(context);
    if (carrier.type === 'ws') {
      const session = findAxessSession(carrier.request);
      if ((user === undefined || user === null) && session?.isAuthenticated) return true;
      throw new AxessUnsupportedContextError(
        'ws',
        'MaxSessionsGuard',
        'a login cannot complete over a WebSocket (no HTTP response carries its cookie); sign in over HTTP or GraphQL.',
      );
    }
    if (user === undefined || user === null) return true;
    const userId = this.getUserId(user, context);
    if (userId === undefined || userId === '') {
      // A user without an id would escape the cap: refused, and the log says what to fix.
      this.logger.warn(
        'The authenticated user has no id (empty or missing): login refused. Set the module option `userIdFrom` to read your user objects.',
      );
      throw new UnauthorizedException({ statusCode: 401, message: 'Unauthorized', reason: NO_USER_ID });
    }
    try {
      await this.sessions.authenticate(this.getRequest(context), userId, {
        maxSessions: this.getMaxSessions(context),
        onSessionLimit: this.getOnSessionLimit(context),
        rememberMe: this.getRememberMe(context),
        user,
        context,
        // The cookie goes out now: a guard after this one may still refuse the request.
        response: carrier.response,
      });
    } catch (error) {
      // A refusal at the cap reaches a GraphQL client as { code: 'CONFLICT', reason: 'session-limit' }.
      throw carrier.type === 'graphql' ? forGraphql(error) : error;
    }
    return true;
  }

  /** The framework request (Express or Fastify; a GraphQL resolver's from its context), or a WebSocket's socket. */
  protected getRequest(context: ExecutionContext): unknown {
    return sessionCarrier(context, 'MaxSessionsGuard').request;
  }

  /** The authenticated user, as the app's auth guard left it (default `req.user`). */
  protected getUser(context: ExecutionContext): unknown {
    return (this.getRequest(context) as { user?: unknown }).user;
  }

  /** The user's id (default: the module's `userIdFrom`, i.e. `user.id ?? user.sub`). */
  protected getUserId(user: unknown, _context: ExecutionContext): string | undefined {
    return this.policy.userIdFrom(user);
  }

  /**
   * The cap for this route: `@MaxSessions()` on the handler, then on the class, else the
   * module's; a function is called with the user and this context by the service.
   */
  protected getMaxSessions(context: ExecutionContext): MaxSessionsSetting | undefined {
    return this.fromRoute<MaxSessionsSetting>(AXESS_MAX_SESSIONS, context) ?? this.policy.maxSessionsPerUser;
  }

  /** Whether this sign-in asked to be remembered (default: the module's `rememberMe.from`). */
  protected getRememberMe(context: ExecutionContext): boolean {
    return this.policy.rememberMeFrom(this.getRequest(context), context);
  }

  /** What a full cap does on this route: `@MaxSessions(n, { onSessionLimit })` on the handler, then on the class, else the module's. */
  protected getOnSessionLimit(context: ExecutionContext): SessionLimitPolicy {
    return this.fromRoute<SessionLimitPolicy>(AXESS_ON_SESSION_LIMIT, context) ?? this.policy.onSessionLimit;
  }

  private fromRoute<T>(key: string, context: ExecutionContext): T | undefined {
    return this.reflector.getAllAndOverride<T | undefined>(key, [context.getHandler(), context.getClass()]);
  }
}
