import { ForbiddenException, Injectable, UnsupportedMediaTypeException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { originAllowed } from '../web/csrf.guard';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence of the JSON API. SameSite=Lax keeps the cookie off cross-*site* posts, but a page
 * on the same site (another port of localhost, a sibling subdomain) could still post a form here,
 * and both adapters parse form bodies. So a state-changing request whose `Origin` names another
 * host is refused, and a request with a body must be `application/json`, which a plain HTML form
 * cannot send (a cross-origin script would need a CORS preflight this app never grants).
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ method: string; headers: IncomingHttpHeaders }>();
    if (SAFE_METHODS.has(req.method)) return true;
    if (!originAllowed(req.headers.origin, req.headers.host)) {
      throw new ForbiddenException({ message: 'Cross-origin request refused.' });
    }
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const type = req.headers['content-type'] ?? '';
    if (hasBody && !/^application\/json\b/i.test(type)) {
      throw new UnsupportedMediaTypeException({ message: 'Send JSON (content-type: application/json).' });
    }
    return true;
  }
}
