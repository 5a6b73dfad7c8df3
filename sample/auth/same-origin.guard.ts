import { ForbiddenException, Injectable, UnsupportedMediaTypeException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { requestOriginAllowed, type CsrfCheckedRequest } from '../web/csrf.guard';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `application/json`, with parameters (`; charset=utf-8`) or none; not `application/json-patch+json` and the like. */
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * CSRF defence of the JSON API. SameSite=Lax keeps the cookie off cross-*site* posts, but a page
 * on the same site (another port of localhost, a sibling subdomain) could still post a form here,
 * and both adapters parse form bodies. So every state-changing request:
 * - is refused when its `Origin` is not this server's own origin (scheme, host and port);
 * - must say `content-type: application/json`, with a body or without one (a body-less POST or
 *   DELETE is what a form or a plain `fetch` from another origin sends without a preflight).
 *   An HTML form cannot send that type; a cross-origin script would need a CORS preflight this
 *   app never grants.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<CsrfCheckedRequest & { method: string }>();
    if (SAFE_METHODS.has(req.method)) return true;
    if (!requestOriginAllowed(req)) {
      throw new ForbiddenException({ message: 'Cross-origin request refused.' });
    }
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      throw new UnsupportedMediaTypeException({ message: 'Send JSON (content-type: application/json).' });
    }
    return true;
  }
}
