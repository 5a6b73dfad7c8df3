import type { ExecutionContext } from '@nestjs/common';
import { AxessError } from '../errors/axess.error.js';

/** The execution contexts a session exists on. */
export type SessionContextType = 'http' | 'graphql' | 'ws';

/** What carries the session in one execution context: the request (HTTP, GraphQL) or the socket (WebSocket). */
export interface SessionCarrier {
  type: SessionContextType;
  /** The framework request (http, graphql), or the socket (ws). */
  request: unknown;
  /** The response a cookie can be set on, when there is one (never on ws). */
  response: unknown;
}

/** A guard or decorator of the library ran where it cannot serve (e.g. `rpc`, a GraphQL context without a request): never let through unchecked. */
export class AxessUnsupportedContextError extends AxessError {
  constructor(
    /** The `getType()` of the execution context. */
    readonly contextType: string,
    consumer: string,
    detail = "axess sessions exist on 'http', 'graphql' and 'ws' contexts only.",
  ) {
    super(`${consumer} cannot run in the '${contextType}' execution context: ${detail}`);
  }
}

/** A GraphQL context as the drivers build it: Apollo `{ req, res }`, Mercurius `{ req, reply }` (`reply.request`). */
interface GraphqlContextLike {
  req?: unknown;
  request?: unknown;
  res?: unknown;
  reply?: { request?: unknown };
}

/**
 * The request and response behind `context` (`consumer` names the caller in errors), without
 * importing a GraphQL or WebSocket package: the GraphQL context is `getArgs()[2]`.
 */
export function sessionCarrier(context: ExecutionContext, consumer: string): SessionCarrier {
  const type = context.getType<string>();
  if (type === 'http') {
    const http = context.switchToHttp();
    return { type, request: http.getRequest(), response: http.getResponse() };
  }
  if (type === 'graphql') return graphqlCarrier(context.getArgs()[2], consumer);
  if (type === 'ws') return { type, request: context.switchToWs().getClient(), response: undefined };
  throw new AxessUnsupportedContextError(type, consumer);
}

function graphqlCarrier(value: unknown, consumer: string): SessionCarrier {
  const ctx = (typeof value === 'object' && value !== null ? value : {}) as GraphqlContextLike;
  const request = objectOrUndefined(ctx.req) ?? objectOrUndefined(ctx.request) ?? objectOrUndefined(ctx.reply?.request);
  if (request === undefined) {
    throw new AxessUnsupportedContextError(
      'graphql',
      consumer,
      "its GraphQL context holds no request. Keep the drivers' default context, or return `{ req, res }` (Apollo) / `{ req, reply }` (Mercurius) from your own `context` function.",
    );
  }
  // Express requests link to their response (`req.res`); Apollo's default context has no `res`.
  const response = objectOrUndefined(ctx.res) ?? objectOrUndefined(ctx.reply) ?? objectOrUndefined((request as { res?: unknown }).res);
  return { type: 'graphql', request, response };
}

function objectOrUndefined(value: unknown): object | undefined {
  return typeof value === 'object' && value !== null ? value : undefined;
}
