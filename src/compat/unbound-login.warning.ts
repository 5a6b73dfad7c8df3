import { Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findAxessSession, frameworkRequest } from '../http/session-request.js';
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

  /** Checks `res`'s request when it finishes (Express's request, or the Fastify request linked to the Node one). */
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

type RoutedRequest = { user?: unknown; route?: { path?: unknown }; routeOptions?: { url?: unknown } };

function checkWhenFinished(this: WatchedResponse): void {
  const watcher = this[WATCHER];
  const raw = this.req;
  if (!watcher || !raw) return;
  const request = (frameworkRequest(raw) ?? raw) as RoutedRequest;
  watcher.check(request, raw, this.statusCode, routeOf(request));
}

/** The route pattern the framework matched (Express `/users/:id`, Fastify's `routeOptions.url`), when it has one. */
export function routeOf(request: RoutedRequest): string | undefined {
  const path = request.route?.path ?? request.routeOptions?.url;
  return typeof path === 'string' ? path : undefined;
}
