import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestOriginAllowed } from '../web/csrf.guard';

/** `application/json`, with parameters or none (as the JSON API requires). */
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * The HTTP rules of `/graphql`, checked before GraphQL sees the request, on both servers:
 * - `POST` only (405 otherwise): no operation runs from a link or an `<img>`;
 * - `content-type: application/json` (415 otherwise): an HTML form cannot send it, and a
 *   cross-origin script would need a CORS preflight the sample never grants (the same rule as
 *   the JSON API; Apollo's own CSRF prevention stays on besides);
 * - an `Origin`, when sent, that is this server's own origin (403 otherwise).
 * So the `login` mutation is no way around the JSON API's CSRF rules, and, going through the
 * same passport strategy, none around the limit on failed sign-ins either.
 */
@Injectable()
export class GraphqlHttpMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    if (req.method !== 'POST') return refuse(res, 405, 'Send GraphQL operations as POST.', { allow: 'POST' });
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) return refuse(res, 415, 'Send JSON (content-type: application/json).');
    // Express's request carries its scheme as `protocol`; under Fastify, Nest's middleware layer copies it onto the raw request.
    if (!requestOriginAllowed(req)) return refuse(res, 403, 'Cross-origin request refused.');
    next();
  }
}

function refuse(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ statusCode: status, message });
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
