import { Catch, Injectable, UnauthorizedException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { findAxessSession } from '@axess/nestjs-session';
import { CSRF_SESSION_KEY } from './csrf.token';
import { PageResponder } from './page.responder';
import { signInPage } from './sign-in.page';

/**
 * passport-local refused the credentials: the sign-in form again, with the error and the
 * username typed (escaped by the template), status 401. The CSRF guard ran first, so the
 * anonymous session already holds the token the form needs; nothing is written.
 */
@Injectable()
@Catch(UnauthorizedException)
export class SignInFailedFilter implements ExceptionFilter {
  constructor(private readonly responder: PageResponder) {}

  catch(_exception: UnauthorizedException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<{ body?: unknown }>();
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    const token = findAxessSession(req)?.get(CSRF_SESSION_KEY) ?? '';
    const page = signInPage({
      csrfToken: token,
      error: 'Invalid username or password.',
      username: typeof body.username === 'string' ? body.username.slice(0, 200) : undefined,
    });
    this.responder.sendPage(http.getResponse<unknown>(), page, 401);
  }
}
