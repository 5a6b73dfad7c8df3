import type { ServerResponse } from 'node:http';

interface FastifyReplyLike {
  raw: ServerResponse;
  header(name: string, value: string): unknown;
  hasHeader(name: string): boolean;
}

interface ExpressResponseLike extends ServerResponse {
  append(name: string, value: string): unknown;
}

/**
 * Adds a `Set-Cookie` header to the response, keeping any the app set: Fastify's
 * `reply.header` appends set-cookie values, Express has `res.append`, and a raw Node response
 * gets the existing values plus this one. Also `Cache-Control: no-store`, unless the app set a
 * Cache-Control of its own: a shared cache must never hand one user's Set-Cookie to another.
 */
export function appendSetCookie(response: unknown, value: string): void {
  const reply = response as FastifyReplyLike;
  if (reply && typeof reply === 'object' && reply.raw && typeof reply.header === 'function') {
    // Fastify writes the reply's headers over the raw response's on send: set them on the reply.
    reply.header('set-cookie', value);
    if (!reply.hasHeader('cache-control') && !reply.raw.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return;
  }
  const res = response as ExpressResponseLike;
  if (!res.hasHeader('cache-control')) res.setHeader('cache-control', 'no-store');
  if (typeof res.append === 'function') {
    res.append('Set-Cookie', value);
    return;
  }
  const existing = res.getHeader('set-cookie');
  const values = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('set-cookie', [...values, value]);
}

/** Sets a header on a Fastify reply (its headers are written over the raw response's) or a Node/Express response. */
export function setResponseHeader(response: unknown, name: string, value: string): void {
  const reply = response as FastifyReplyLike;
  if (reply && typeof reply === 'object' && reply.raw && typeof reply.header === 'function') reply.header(name, value);
  else (response as ServerResponse).setHeader(name, value);
}

/** True once the response's headers are on the wire (too late to set a cookie). */
export function headersSent(response: unknown): boolean {
  const reply = response as { raw?: ServerResponse; sent?: boolean; headersSent?: boolean };
  if (reply.raw && typeof reply.raw === 'object') return reply.raw.headersSent;
  return reply.headersSent === true;
}
