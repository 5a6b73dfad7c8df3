import { Catch, type ExceptionFilter } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { SignInThrottledException } from '../auth/sign-in-throttle';

/**
 * The `login` mutation's answer while its ip or username is blocked: a GraphQL error with
 * `extensions.code` `TOO_MANY_REQUESTS` and when to try again (the JSON API answers 429 with
 * `Retry-After`).
 */
@Catch(SignInThrottledException)
export class GraphqlSignInThrottledFilter implements ExceptionFilter {
  catch(exception: SignInThrottledException): GraphQLError {
    return new GraphQLError(exception.message, {
      extensions: { code: 'TOO_MANY_REQUESTS', retryAfterSeconds: exception.retryAfterSeconds },
    });
  }
}
