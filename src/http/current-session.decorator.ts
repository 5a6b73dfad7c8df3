import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { sessionCarrier } from './session-carrier.js';
import { AxessSessionNotMountedError, findAxessSession } from './session-request.js';

/**
 * Injects the request's `AxessSession` into a handler parameter: HTTP routes (Express and
 * Fastify), GraphQL resolvers (Apollo and Mercurius) and WebSocket message handlers (the session
 * of the socket's upgrade, with `AxessWsAdapter` from `@axess/nestjs-session/ws`).
 * Named apart from `@nestjs/common`'s `Session`, which reads express-session's `req.session`.
 *
 * @example
 * @Get('me')
 * me(@CurrentSession() session: AxessSession) {
 *   return { userId: session.userId };
 * }
 */
export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const { type, request } = sessionCarrier(context, '@CurrentSession()');
  const session = findAxessSession(request);
  if (!session) throw new AxessSessionNotMountedError(type);
  return session;
});
