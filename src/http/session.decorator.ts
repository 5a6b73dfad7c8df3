import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { getAxessSession } from './session-request.js';

/**
 * Injects the request's `AxessSession` into a handler parameter (Express and Fastify).
 *
 * @example
 * @Get('me')
 * me(@Session() session: AxessSession) {
 *   return { userId: session.userId };
 * }
 */
export const Session = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  getAxessSession(context.switchToHttp().getRequest()),
);
