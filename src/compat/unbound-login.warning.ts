import { Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findAxessSession } from '../http/session-request.js';
import { sessionStateOf } from '../http/session-state.js';

/** Routes reported at most; past it, nothing more is remembered (paths may hold ids). */
const MAX_REPORTED_ROUTES = 100;

const WATCHER = Symbol('@axess/nestjs-session:unbound-login');

type WatchedResponse = ServerResponse & { [WATCHER]?: UnboundLoginWarning; req?: IncomingMessage };

/**
 * Warns once per route when a request authenticated by an auth guard (`req.user`) ends without a
 * signed-in session (`AuthGuard('local')` alone signs nobody in). Not for `Authorization`
 * headers, error responses, or sessions ended on purpose.
 */
@Injectable()
export class UnboundLoginWarning {
  private readonly logger = new Logger('AxessSession');
  private readonly reported = new Set<string>();

  /** Checks `res`'s request when it finishes (Express: the request is the Node request). */
  watch(_req: IncomingMessage, res: ServerResponse): void {
    (res as WatchedResponse)[WATCHER] = this;
    res.on('finish', checkWhenFinished);
  }

  /** The check itself: `request` carries `user` (Express's request, Fastify's), `raw` the session. */
  check(request: { user?: unknown }, raw: IncomingMessage, statusCode: number, route: string | undefined): void {
    if (statusCode >= 400 || this.reported.size >= MAX_REPORTED_ROUTES) return;
    const user = request.user;
    if (user === undefined || user === null || user === false || raw.headers.authorization !== undefined) return;
    const session = findAxessSession(raw);
    if (!session || session.isAuthenticated || sessionStateOf(session).ended) return;
    const key = `${raw.method ?? 'GET'} ${route ?? (raw.url ?? '/').split('?')[0]}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.logger.warn(
      `${key}: the request was authenticated (req.user is set) but ended without a signed-in session, so nothing remembers the user. ` +
        'Put MaxSessionsGuard after the auth guard (@UseGuards(AuthGuard(...), MaxSessionsGuard)), call super.logIn(request) in the guard ' +
        '(passport session mode), or call AxessSessionService.authenticate(req, userId). If the route authenticates without a session on purpose, set the module option warnUnboundLogin: false.',
    );
  }
}

function checkWhenFinished(this: WatchedResponse): void {
  const watcher = this[WATCHER];
  const req = this.req as (IncomingMessage & { user?: unknown; route?: { path?: unknown } }) | undefined;
  if (!watcher || !req) return;
  const route = typeof req.route?.path === 'string' ? req.route.path : undefined;
  watcher.check(req, req, this.statusCode, route);
}
