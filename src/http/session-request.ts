import type { IncomingMessage } from 'node:http';
import { AxessError } from '../errors/axess.error.js';
import type { AxessSession } from './axess-session.js';

/** Where the handle lives on the Node request: a registry symbol, so two copies of the package agree. */
const SESSION = Symbol.for('@axess/nestjs-session:session');

type WithSession = IncomingMessage & { [SESSION]?: AxessSession };

/** The request has no session: the middleware is not mounted on this route (on a WebSocket: no axess adapter). */
export class AxessSessionNotMountedError extends AxessError {
  constructor(contextType?: string) {
    super(
      contextType === 'ws'
        ? 'No axess session on this socket: use AxessWsAdapter from @axess/nestjs-session/ws ' +
            '(`app.useWebSocketAdapter(new AxessWsAdapter(app))`) or, with socket.io, AxessIoAdapter from ' +
            '@axess/nestjs-session/socket.io, which admit only connections with a signed-in session.'
        : 'No axess session on this request: mount AxessSessionMiddleware on this route ' +
            '(it is mounted on every route unless the module option mountMiddleware is false).',
    );
  }
}

/** The Node request behind an Express or Fastify request (`.raw`): the handle lives there, all Fastify middleware sees. */
export function rawRequest(req: unknown): IncomingMessage {
  const candidate = req as { raw?: IncomingMessage } | undefined;
  if (candidate && typeof candidate === 'object' && candidate.raw && typeof candidate.raw === 'object' && 'headers' in candidate.raw) {
    return candidate.raw;
  }
  return req as IncomingMessage;
}

/** The Fastify request of a raw one, linked by the module's Fastify hook (read lazily: `protocol`). */
const FRAMEWORK_REQUEST = Symbol('@axess/nestjs-session:framework-request');

/** Links the framework's request to its raw Node request (one property, read only when needed). */
export function linkFrameworkRequest(raw: IncomingMessage, request: object): void {
  (raw as IncomingMessage & { [FRAMEWORK_REQUEST]?: object })[FRAMEWORK_REQUEST] = request;
}

/** The framework request linked to `raw`, if any. */
export function frameworkRequest(raw: IncomingMessage): object | undefined {
  return (raw as IncomingMessage & { [FRAMEWORK_REQUEST]?: object })[FRAMEWORK_REQUEST];
}

/** Attaches `session` to the request (used by the middleware). */
export function attachAxessSession(req: unknown, session: AxessSession): void {
  (rawRequest(req) as WithSession)[SESSION] = session;
}

/** The request's session, or `undefined` when the middleware did not run for it. */
export function findAxessSession(req: unknown): AxessSession | undefined {
  if (!req || typeof req !== 'object') return undefined;
  // The Node request itself (Express) answers at once; a Fastify request goes through `.raw`.
  return (req as WithSession)[SESSION] ?? (rawRequest(req) as WithSession)[SESSION];
}

/**
 * The request's session (Express request, Fastify request or raw Node request).
 * Throws `AxessSessionNotMountedError` when the session middleware did not run for it.
 */
export function getAxessSession(req: unknown): AxessSession {
  const session = findAxessSession(req);
  if (!session) throw new AxessSessionNotMountedError();
  return session;
}
