import { Catch, ServiceUnavailableException, type ExceptionFilter } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { SignInThrottledException } from '../auth/sign-in-throttle';

/**
 * The `login` mutation's answer while its ip or username has no attempt left: a GraphQL error
 * with `extensions.code` `TOO_MANY_REQUESTS` and when to try again (the JSON API answers 429 with
 * `Retry-After`); and while the store does not answer (the throttle's counts or the session
 * store): `SERVICE_UNAVAILABLE` (the JSON API answers 503), not "Invalid username or password".
 */
@Catch(SignInThrottledException, ServiceUnavailableException)
export class GraphqlSignInThrottledFilter implements ExceptionFilter {
  catch(exception: SignInThrottledException | ServiceUnavailableException): GraphQLError {
    if (exception instanceof SignInThrottledException) {
      return new GraphQLError(exception.message, {
        extensions: { code: 'TOO_MANY_REQUESTS', retryAfterSeconds: exception.retryAfterSeconds },
      });
    }
    return new GraphQLError('Sign-in is unavailable right now.', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
  }
}
