import { Catch, Injectable, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { formRejectedPage } from './form-rejected.page';
import { FormRejectedException, SignInRequiredException } from './page.exceptions';
import { PageResponder } from './page.responder';

/** Turns the pages' refusals into pages: a 403 page for a rejected form, a 303 to sign in otherwise. */
@Injectable()
@Catch(FormRejectedException, SignInRequiredException)
export class PagesExceptionFilter implements ExceptionFilter {
  constructor(private readonly responder: PageResponder) {}

  catch(exception: FormRejectedException | SignInRequiredException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<unknown>();
    if (exception instanceof SignInRequiredException) {
      // The cookie still names the ended session, so the start page can say why it ended.
      this.responder.sendRedirect(response, '/');
      return;
    }
    this.responder.sendPage(response, formRejectedPage(), 403);
  }
}
