import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { ResolvedAxessOptions } from './axess-session.resolved-options.js';
import { expressSessionView } from './compat/express-session.view.js';
import type { SessionViewServices } from './compat/session-view.services.js';
import { routeOf, type UnboundLoginWarning } from './compat/unbound-login.warning.js';
import { findAxessSession, linkFrameworkRequest, rawRequest } from './http/session-request.js';
import type { AxessSessionMiddleware } from './http/session.middleware.js';

/** The parts of Nest's HTTP adapters used here. */
interface HttpAdapterLike {
  getType(): string;
  getInstance(): unknown;
  use(handler: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void): unknown;
}

interface FastifyLike {
  decorateRequest(name: string, value: { getter(this: { raw: IncomingMessage }): unknown }): unknown;
  hasRequestDecorator(name: string): boolean;
  addHook(name: 'onResponse', hook: (request: object, reply: { statusCode: number }, done: () => void) => void): unknown;
  addHook(name: 'onRequest', hook: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse }) => Promise<void>): unknown;
}

/**
 * Puts the session on requests as apps written for express-session expect it, as soon as the
 * HTTP adapter exists (inside `NestFactory.create`, or when a testing module creates its app), so
 * before anything `main.ts` adds with `app.use`:
 * - Express: the session middleware is mounted first on the app (where express-session's
 *   `app.use(session(...))` used to be), so `app.use(passport.session())` right after
 *   `NestFactory.create` finds the session loaded; `req.session` and `req.sessionID` read it.
 * - Fastify: the session loads in a native `onRequest` hook of the app's Fastify instance, after
 *   Nest's own request hooks (CORS, unroutable targets) and before every middleware (middie), at
 *   a fraction of middie's cost per request; `request.session` and `request.sessionID` (Nest's
 *   `@Session()`) read it.
 * With `warnUnboundLogin`, a request that an auth guard authenticated but that ends without a
 * signed-in session is reported once per route. Built by the module's providers.
 */
export class AxessRequestMount implements OnModuleDestroy {
  private readonly logger = new Logger('AxessSession');
  private readonly subscription: Subscription | undefined;
  private adapterType: string | undefined;
  /** The session middleware runs from this mount (Express middleware, Fastify hook). */
  private mounted = false;

  constructor(
    host: HttpAdapterHost,
    private readonly options: ResolvedAxessOptions,
    private readonly views: SessionViewServices,
    private readonly unbound: UnboundLoginWarning,
    /** Built by the module only when the middleware is to be mounted (`mountMiddleware` and a signing key). */
    private readonly middleware: AxessSessionMiddleware | undefined,
  ) {
    // NestFactory.create sets the adapter before it builds providers; a testing module's
    // createNestApplication sets it later, which `init$` tells (Nest 11.1.4+; on older versions the
    // module mounts the middleware at init instead). An application context never has one.
    const install = () => {
      const adapter = host.httpAdapter as HttpAdapterLike | undefined;
      if (adapter && this.adapterType === undefined) this.install(adapter);
    };
    install();
    if (this.adapterType === undefined) this.subscription = (host as { init$?: HttpAdapterHost['init$'] }).init$?.subscribe(install);
  }

  /** True when this mount runs the session middleware itself: the module then mounts none. */
  get mountsMiddleware(): boolean {
    return this.mounted;
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private install(adapter: HttpAdapterLike): void {
    this.adapterType = adapter.getType();
    if (this.adapterType === 'express') this.installOnExpress(adapter);
    else if (this.adapterType === 'fastify') this.installOnFastify(adapter.getInstance() as FastifyLike);
  }

  private installOnExpress(adapter: HttpAdapterLike): void {
    const { views, unbound } = this;
    const proto = (adapter.getInstance() as { request?: object }).request;
    if (proto) {
      defineRequestAccessor(proto, 'session', function (this: IncomingMessage) {
        return expressSessionView(this, views);
      });
      defineRequestAccessor(proto, 'sessionID', function (this: IncomingMessage) {
        return (expressSessionView(this, views) as { id?: string } | undefined)?.id;
      });
    }
    const middleware = this.middleware;
    if (!middleware) return;
    const warn = this.options.warnUnboundLogin;
    this.mounted = true;
    // Only a request that arrives without a signed-in session is watched: one that arrives signed
    // in ends either still signed in or ended on purpose, both excused by the check (and a `finish`
    // listener per request is not free).
    const watching = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => (error?: unknown) => {
      watchUnlessSignedIn(unbound, req, res);
      next(error);
    };
    adapter.use((req, res, next) => {
      // Errors go to `next`: Nest's error handler answers them (a store failure is a 503).
      middleware.use(req, res, warn ? watching(req, res, next) : next).catch(next);
    });
  }

  private installOnFastify(fastify: FastifyLike): void {
    const { views, unbound } = this;
    for (const name of ['session', 'sessionID']) {
      if (fastify.hasRequestDecorator(name)) {
        // e.g. @fastify/session still registered: its `request.session` stands.
        this.logger.warn(`request.${name} is already decorated by another plugin; @Session() will not return the axess session.`);
        continue;
      }
      fastify.decorateRequest(name, {
        getter(this: { raw: IncomingMessage }) {
          const view = expressSessionView(this.raw, views) as { id?: string } | undefined;
          return name === 'session' ? view : view?.id;
        },
      });
    }
    const middleware = this.middleware;
    const warn = this.options.warnUnboundLogin;
    if (middleware) {
      // A rejection (a store failure: 503) goes to Fastify's error handler, which is Nest's.
      fastify.addHook('onRequest', (request, reply) => {
        // The cookie's `secure: 'auto'` reads the Fastify request's `protocol` (trusted proxies).
        linkFrameworkRequest(request.raw, request);
        const attached = middleware.attach(request.raw, reply.raw);
        // As on Express, only a request that arrives without a signed-in session is watched.
        return warn ? attached.then(() => watchUnlessSignedIn(unbound, request.raw, reply.raw)) : attached;
      });
      this.mounted = true;
    } else if (warn) {
      // The app mounts the middleware itself: whether the request arrived signed in is not known here.
      fastify.addHook('onResponse', (request, reply, done) => {
        unbound.check(request, rawRequest(request), reply.statusCode, routeOf(request));
        done();
      });
    }
  }
}

function watchUnlessSignedIn(unbound: UnboundLoginWarning, req: IncomingMessage, res: ServerResponse): void {
  if (!findAxessSession(req)?.isAuthenticated) unbound.watch(req, res);
}

/** An accessor on the app's own request prototype (Express's `app.request`); an assignment shadows it on that request. */
function defineRequestAccessor(proto: object, name: string, get: (this: IncomingMessage) => unknown): void {
  Object.defineProperty(proto, name, {
    configurable: true,
    enumerable: false,
    get,
    set(this: object, value: unknown) {
      Object.defineProperty(this, name, { value, writable: true, configurable: true, enumerable: true });
    },
  });
}
