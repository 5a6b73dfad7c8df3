import { Injectable, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { AuthGuard } from '@nestjs/passport';
import { GraphQLError } from 'graphql';
import { ServiceUnavailableException } from '@nestjs/common';
import { SignInThrottledException } from '../auth/sign-in-throttle';

/**
 * passport-local for the `login` mutation: the same strategy as `POST /auth/login` (failed
 * sign-ins limited per ip and per username), reading `username` and `password` from the
 * mutation's arguments. passport-local reads them from `req.body`, so the request of the GraphQL
 * context gets them there; passport then sets `req.user` on that same request, where
 * `MaxSessionsGuard` reads it.
 */
@Injectable()
export class GraphqlLocalAuthGuard extends AuthGuard('local') {
  override getRequest(context: ExecutionContext): unknown {
    const graphql = GqlExecutionContext.create(context);
    const req = graphql.getContext<{ req: { body?: unknown } }>().req;
    const { username, password } = graphql.getArgs<{ username?: unknown; password?: unknown }>();
    req.body = { username, password };
    return req;
  }

  /**
   * A failed sign-in is a GraphQL error with `extensions.code` UNAUTHENTICATED; a refused one
   * (429) or one the store could not serve (503) goes on to `GraphqlSignInErrorsFilter`.
   */
  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    if (error instanceof SignInThrottledException || error instanceof ServiceUnavailableException) throw error;
    if (error || !user) throw new GraphQLError('Invalid username or password.', { extensions: { code: 'UNAUTHENTICATED' } });
    return user;
  }
}
