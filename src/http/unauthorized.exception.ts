import { UnauthorizedException } from '@nestjs/common';
import type { AxessGraphqlExtensions } from '../errors/graphql-extensions.js';

/** The GraphQL error code of a refused request (the one Apollo gives a 401). */
export const UNAUTHENTICATED = 'UNAUTHENTICATED';

/**
 * The library's 401: `{ statusCode: 401, message: 'Unauthorized', reason }` when it knows why,
 * else Nest's plain 401; on GraphQL, `extensions: { code: 'UNAUTHENTICATED', reason }`.
 */
export class AxessUnauthorizedException extends UnauthorizedException {
  /** The GraphQL error's `extensions`. */
  readonly extensions: AxessGraphqlExtensions;

  constructor(
    /** Why the request was refused, when the library knows (it is in the body too). */
    readonly reason?: string,
  ) {
    super(reason === undefined ? undefined : { statusCode: 401, message: 'Unauthorized', reason });
    this.extensions = reason === undefined ? { code: UNAUTHENTICATED } : { code: UNAUTHENTICATED, reason };
  }
}
