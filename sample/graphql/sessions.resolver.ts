import { Inject, UnauthorizedException, UseFilters, UseGuards } from '@nestjs/common';
import { Args, Context, Int, Mutation, Resolver } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import { AxessAuthenticatedGuard, AxessSessionService, CurrentSession, RequireRecentAuth, type AxessSession } from '@axess/nestjs-session';
import { Reauthentication } from '../auth/reauthentication';
import { REAUTH_MAX_AGE_MS } from '../auth/recent-auth';
import { GraphqlSignInThrottledFilter } from './graphql-sign-in-throttled.filter';

/**
 * The step-up of the JSON API on GraphQL: `signOutOtherDevices` needs a sign-in at most
 * `REAUTH_MAX_AGE_MS` old (else an error with `extensions: { code: 'UNAUTHENTICATED', reason:
 * 'reauthentication-required' }`), and `reauthenticate(password)` makes it fresh (the session's id
 * changes: the answer sets the new cookie), with the sign-in's attempt limits.
 */
@Resolver()
export class SessionsResolver {
  constructor(
    @Inject(AxessSessionService) private readonly sessions: AxessSessionService,
    @Inject(Reauthentication) private readonly reauthentication: Reauthentication,
  ) {}

  /** Signs out every other session of the user; answers how many ended. */
  @Mutation(() => Int)
  @UseGuards(AxessAuthenticatedGuard)
  @RequireRecentAuth(REAUTH_MAX_AGE_MS)
  async signOutOtherDevices(@CurrentSession() session: AxessSession): Promise<number> {
    return (await this.sessions.revokeOthers(session.userId!, session.id!)).length;
  }

  /** "Confirm your password": a wrong one is an UNAUTHENTICATED error and changes nothing. */
  @Mutation(() => Boolean)
  @UseGuards(AxessAuthenticatedGuard)
  @UseFilters(GraphqlSignInThrottledFilter)
  async reauthenticate(@Args('password', { type: () => String }) password: string, @Context('req') req: object): Promise<boolean> {
    try {
      await this.reauthentication.confirm(req, password);
    } catch (error) {
      if (error instanceof UnauthorizedException) throw new GraphQLError('Wrong password.', { extensions: { code: 'UNAUTHENTICATED' } });
      throw error;
    }
    return true;
  }
}
