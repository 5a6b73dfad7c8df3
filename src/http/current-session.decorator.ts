import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getAxessSession } from './session-request.js';

/**
 * Injects the request's `AxessSession` into a handler parameter (Express and Fastify).
 * Named apart from `@nestjs/common`'s `Session`, which reads express-session's `req.session`.
 *
 * @example
 * @Get('me')
 * me(@CurrentSession() session: AxessSession) {
 *   return { userId: session.userId };
 * }
 */
export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  getAxessSession(context.switchToHttp().getRequest()),
);
