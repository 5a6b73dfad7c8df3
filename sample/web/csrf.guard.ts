import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { findAxessSession } from '@axess/nestjs-session';
import { CSRF_FIELD, csrfTokenMatches } from './csrf.token';
import { FormRejectedException } from './page.exceptions';
import { SignInCsrf } from './sign-in-csrf';

/** What the CSRF checks read from an Express or a Fastify request. */
export interface CsrfCheckedRequest {
  headers: IncomingHttpHeaders;
  /** `http` or `https`: from the socket, or from X-Forwarded-Proto when TRUST_PROXY trusts the proxy. */
  protocol?: string;
  body?: unknown;
}

/**
 * True when the request's `Origin` is absent or is this server's own origin: the same scheme,
 * host and port. Browsers send Origin on every cross-origin POST (and on same-origin ones too);
 * `null` (sandboxed frames, privacy redirects) or an unparseable value is refused. The scheme
 * counts: a page served over plain http (which a network attacker can write) is another origin
 * than this app on https. Behind a TLS-terminating proxy, set TRUST_PROXY so that `scheme` is
 * the one the browser used.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, scheme = 'http'): boolean {
  if (origin === undefined) return true;
  if (!host || (scheme !== 'http' && scheme !== 'https')) return false;
  try {
    return new URL(origin).origin === new URL(`${scheme}://${host}`).origin;
  } catch {
    return false;
  }
}

/** `originAllowed` for a request. */
export function requestOriginAllowed(req: CsrfCheckedRequest): boolean {
  return originAllowed(req.headers.origin, req.headers.host, req.protocol);
}

/** The `_csrf` field of a form body, if the body is an object. */
function submittedToken(req: CsrfCheckedRequest): unknown {
  const body = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
}

/**
 * CSRF defence of the signed-in pages' form posts, in three layers:
 * 1. the session cookie is SameSite=Lax (the library's default): modern browsers do not send it
 *    on a POST from another *site*;
 * 2. Lax does not cover a same-site attacker (a page on a sibling subdomain, or another port of
 *    localhost, is the same site) nor browsers without SameSite: so every form carries a
 *    per-session random token, stored in the session and compared in constant time;
 * 3. an `Origin` header naming another origin is refused outright, before the token is looked at.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<CsrfCheckedRequest>();
    if (!requestOriginAllowed(req)) throw new FormRejectedException('origin');
    const session = findAxessSession(req);
    if (!session || !csrfTokenMatches(session, submittedToken(req))) throw new FormRejectedException('token');
    return true;
  }
}

/**
 * CSRF defence of the sign-in form (login CSRF): the same Origin check, then the stateless
 * signed double-submit token of `SignInCsrf`, so that showing the form stores nothing.
 */
@Injectable()
export class SignInCsrfGuard implements CanActivate {
  constructor(private readonly signInCsrf: SignInCsrf) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<CsrfCheckedRequest>();
    if (!requestOriginAllowed(req)) throw new FormRejectedException('origin');
    if (!this.signInCsrf.verify(req.headers.cookie, submittedToken(req))) throw new FormRejectedException('token');
    return true;
  }
}
