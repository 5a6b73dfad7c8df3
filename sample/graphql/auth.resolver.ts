import { Inject, UseFilters, UseGuards } from '@nestjs/common';
import { Args, Context, Mutation, Query, Resolver } from '@nestjs/graphql';
import { AxessAuthenticatedGuard, AxessSessionService, CurrentSession, MaxSessionsGuard, type AxessSession } from '@axess/nestjs-session';
import { rotateCsrfToken } from '../web/csrf.token';
import { LoginResult, Me } from './auth.types';
import { GraphqlLocalAuthGuard } from './graphql-local-auth.guard';
import { GraphqlSignInThrottledFilter } from './graphql-sign-in-throttled.filter';

/**
 * The GraphQL side of the sample (`POST /graphql`, Apollo on Express, Mercurius on Fastify):
 * the same sign-in as `POST /auth/login` (passport-local, then `MaxSessionsGuard`: a new id,
 * the cap, the cookie on the GraphQL response), `me` and `logout`. The HTTP request itself was
 * checked by `GraphqlHttpMiddleware` (POST, JSON, same origin) before GraphQL saw it.
 */
@Resolver()
export class AuthResolver {
  constructor(@Inject(AxessSessionService) private readonly sessions: AxessSessionService) {}

  @Mutation(() => LoginResult)
  @UseGuards(GraphqlLocalAuthGuard, MaxSessionsGuard)
  @UseFilters(GraphqlSignInThrottledFilter)
  login(
    @Args('username', { type: () => String }) _username: string,
    @Args('password', { type: () => String }) _password: string,
    // Read by MaxSessionsGuard (the module's default `rememberMe.from` reads this argument).
    @Args('rememberMe', { type: () => Boolean, nullable: true }) _rememberMe: boolean | null,
    @CurrentSession() session: AxessSession,
  ): LoginResult {
    // As on the JSON API: no CSRF token from before the login survives it.
    rotateCsrfToken(session);
    return { userId: session.userId! };
  }

  @Query(() => Me)
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession): Me {
    return { userId: session.userId!, handle: this.sessions.sessionHandle(session.id!) };
  }

  /** Signs this session out (the response clears its cookie). */
  @Mutation(() => Boolean)
  @UseGuards(AxessAuthenticatedGuard)
  async logout(@Context('req') req: unknown): Promise<boolean> {
    await this.sessions.logout(req);
    return true;
  }
}
