import { Catch, Injectable, UnauthorizedException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { SignInThrottledException } from '../auth/sign-in-throttle';
import { PageResponder } from './page.responder';
import { SignInCsrf } from './sign-in-csrf';
import { signInPage } from './sign-in.page';

/**
 * The sign-in was refused after the CSRF check passed: the sign-in form again, with the error and
 * the username typed (escaped by the template). Wrong credentials answer 401; too many failed
 * sign-ins answer 429 with `Retry-After`. The form gets a fresh token for the browser's sign-in
 * cookie; nothing is written to the session store.
 */
@Injectable()
@Catch(UnauthorizedException, SignInThrottledException)
export class SignInFailedFilter implements ExceptionFilter {
  constructor(
    private readonly responder: PageResponder,
    private readonly signInCsrf: SignInCsrf,
  ) {}

  catch(exception: UnauthorizedException | SignInThrottledException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<{ body?: unknown; headers: IncomingHttpHeaders }>();
    const res = http.getResponse<unknown>();
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    const { token, setCookie } = this.signInCsrf.issue(req.headers.cookie);
    this.responder.setCookie(res, setCookie);
    const throttled = exception instanceof SignInThrottledException;
    if (throttled) this.responder.setHeader(res, 'Retry-After', String(exception.retryAfterSeconds));
    const page = signInPage({
      csrfToken: token,
      error: throttled ? 'Too many failed sign-ins. Please wait a minute and try again.' : 'Invalid username or password.',
      username: typeof body.username === 'string' ? body.username.slice(0, 200) : undefined,
    });
    this.responder.sendPage(res, page, throttled ? 429 : 401);
  }
}
