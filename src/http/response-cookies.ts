import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { CLEAR_SITE_COOKIES } from './response-cache-policy.js';

/** What a response that sets or clears the session cookie may be cached as: not at all. */
export const NO_STORE = 'no-store';

/** A cookie change to send: the `Set-Cookie` value, and whether `Clear-Site-Data` goes with it. */
export interface TakenCookie {
  value: string;
  clearSiteData: boolean;
}

/**
 * Where headers can still be added to a response: a Fastify reply, a Node or Express response,
 * or the headers a `writeHead` call is about to send. Names are matched case-insensitively.
 */
export interface HeaderSink {
  has(name: string): boolean;
  set(name: string, value: string): void;
  /** Adds a `Set-Cookie` value, keeping those already there. */
  appendCookie(value: string): void;
}

/**
 * The one writer of the session cookie, whatever carries the headers: the `Set-Cookie` value
 * (the app's own cookies kept), `Cache-Control: no-store` unless the app set a Cache-Control of
 * its own (a shared cache must never hand one user's Set-Cookie to another), and
 * `Clear-Site-Data: "cookies"` when the cookie change asks for it.
 */
export function writeSessionCookie(sink: HeaderSink, cookie: TakenCookie): void {
  if (!sink.has('cache-control')) sink.set('cache-control', NO_STORE);
  if (cookie.clearSiteData) sink.set('clear-site-data', CLEAR_SITE_COOKIES);
  sink.appendCookie(cookie.value);
}

interface FastifyReplyLike {
  raw: ServerResponse;
  header(name: string, value: string): unknown;
  hasHeader(name: string): boolean;
}

function isFastifyReply(response: unknown): response is FastifyReplyLike {
  const reply = response as FastifyReplyLike | undefined;
  return !!reply && typeof reply === 'object' && !!reply.raw && typeof reply.header === 'function';
}

/** The headers of a framework response: a Fastify reply (written over the raw response's on send), else the Node response. */
export function responseSink(response: unknown): HeaderSink {
  if (!isFastifyReply(response)) return nodeSink(response as ServerResponse);
  return {
    has: (name) => response.hasHeader(name) || response.raw.hasHeader(name),
    set: (name, value) => void response.header(name, value),
    // Fastify's `reply.header` appends set-cookie values instead of replacing them.
    appendCookie: (value) => void response.header('set-cookie', value),
  };
}

/** The headers given to `writeHead(status, [message], [headers])` (flat or object form), else the response's own. */
export function writeHeadSink(res: ServerResponse, head: unknown[] | undefined): HeaderSink {
  const given = head && headersArgument(head);
  if (Array.isArray(given)) {
    // The flat `[name, value, name, value]` form: Node sends repeated names as repeated headers.
    const hasFlat = (name: string) => given.some((key, i) => i % 2 === 0 && String(key).toLowerCase() === name);
    return {
      has: (name) => res.hasHeader(name) || hasFlat(name),
      set: (name, value) => void given.push(name, value),
      appendCookie: (value) => void given.push('set-cookie', value),
    };
  }
  if (given) {
    const keyOf = (name: string) => Object.keys(given).find((key) => key.toLowerCase() === name);
    return {
      has: (name) => res.hasHeader(name) || keyOf(name) !== undefined,
      set: (name, value) => void (given[keyOf(name) ?? name] = value),
      appendCookie: (value) => {
        const key = keyOf('set-cookie');
        // writeHead's own Set-Cookie would replace the response's: add to whichever holds them.
        if (key === undefined) nodeSink(res).appendCookie(value);
        else given[key] = withValue(given[key], value);
      },
    };
  }
  return nodeSink(res);
}

function nodeSink(res: ServerResponse): HeaderSink {
  return {
    has: (name) => res.hasHeader(name),
    set: (name, value) => void res.setHeader(name, value),
    appendCookie: (value) => void res.setHeader('set-cookie', withValue(res.getHeader('set-cookie'), value)),
  };
}

/** `existing` header values with `value` added. */
function withValue(existing: OutgoingHttpHeaders[string], value: string): string | string[] {
  if (existing === undefined) return value;
  return Array.isArray(existing) ? [...existing, value] : [String(existing), value];
}

/** The headers argument of a `writeHead(status, [message], [headers])` call. */
export function headersArgument(head: unknown[]): OutgoingHttpHeaders | unknown[] | undefined {
  const candidate = typeof head[1] === 'string' ? head[2] : head[1];
  return candidate && typeof candidate === 'object' ? (candidate as OutgoingHttpHeaders | unknown[]) : undefined;
}

/** True once the response's headers are on the wire (too late to set a cookie). */
export function headersSent(response: unknown): boolean {
  const reply = response as { raw?: ServerResponse; headersSent?: boolean };
  if (reply.raw && typeof reply.raw === 'object') return reply.raw.headersSent;
  return reply.headersSent === true;
}
