import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { findAxessSession } from '@axess/nestjs-session';
import { CSRF_FIELD, csrfTokenMatches } from './csrf.token';
import { FormRejectedException } from './page.exceptions';

/**
 * True when the request's `Origin` is absent or names this host. Browsers send Origin on every
 * cross-origin POST (and on same-origin ones too); `null` (sandboxed frames, privacy redirects)
 * or an unparseable value is refused. Only the host is compared: the scheme depends on a proxy
 * in front, and a page of another scheme on this very host is this server.
 */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * CSRF defence of the sample's form posts, in three layers:
 * 1. the session cookie is SameSite=Lax (the library's default): modern browsers do not send it
 *    on a POST from another *site*;
 * 2. Lax does not cover a same-site attacker (a page on a sibling subdomain, or another port of
 *    localhost, is the same site) nor browsers without SameSite: so every form carries a
 *    per-session random token, stored in the session and compared in constant time;
 * 3. an `Origin` header naming another host is refused outright, before the token is looked at.
 * The sign-in form is covered too (login CSRF): its token lives in the anonymous session.
 */
@Injectable()
export class CsrfGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: IncomingHttpHeaders; body?: unknown }>();
    if (!originAllowed(req.headers.origin, req.headers.host)) throw new FormRejectedException('origin');
    const body = req.body;
    const submitted = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
    const session = findAxessSession(req);
    if (!session || !csrfTokenMatches(session, submitted)) throw new FormRejectedException('token');
    return true;
  }
}
