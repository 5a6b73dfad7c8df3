import { HttpException, HttpStatus } from '@nestjs/common';

/** A form post that failed the CSRF checks (foreign Origin, missing or wrong token): 403, nothing changed. */
export class FormRejectedException extends HttpException {
  constructor(readonly check: 'origin' | 'token') {
    super({ statusCode: HttpStatus.FORBIDDEN, message: 'Form not accepted', check }, HttpStatus.FORBIDDEN);
  }
}

/**
 * A device-page form posted without a signed-in session (e.g. from a tab that was evicted):
 * the visitor is sent to the sign-in page, which says why the session ended.
 */
export class SignInRequiredException extends HttpException {
  constructor() {
    super({ statusCode: HttpStatus.UNAUTHORIZED, message: 'Sign in required' }, HttpStatus.UNAUTHORIZED);
  }
}
