import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, concatMap, from, map, Observable, throwError } from 'rxjs';
import type { AxessSession } from './axess-session.js';
import { SessionCommitter } from './session-committer.js';
import { findAxessSession } from './session-request.js';

/**
 * Commits the request's session after the handler, before the response is sent: on success and
 * also when the handler throws (the error is then rethrown as it was). Registered globally by
 * `AxessSessionModule`; a no-op on requests the session middleware did not see.
 */
@Injectable()
export class AxessSessionInterceptor implements NestInterceptor {
  private readonly logger = new Logger('AxessSession');

  constructor(private readonly committer: SessionCommitter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const session = findAxessSession(http.getRequest());
    if (!session) return next.handle();
    const response = http.getResponse();
    return next.handle().pipe(
      // Handler errors first, so that a failing commit after success is not committed twice.
      catchError((error: unknown) => from(this.commitAfterError(session, response)).pipe(concatMap(() => throwError(() => error)))),
      concatMap((value) => from(this.committer.commit(session, response)).pipe(map(() => value))),
    );
  }

  /** The handler's error is what the client must see; a failed commit on top of it is logged. */
  private async commitAfterError(session: AxessSession, response: unknown): Promise<void> {
    try {
      await this.committer.commit(session, response);
    } catch (commitError) {
      this.logger.error('Could not commit the session after a failed request.', commitError instanceof Error ? commitError.stack : String(commitError));
    }
  }
}
