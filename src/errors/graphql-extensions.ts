/**
 * The `extensions` of a GraphQL error the library's refusals become: graphql-js copies them from
 * the error a resolver throws, so Apollo and Mercurius answer them without the library importing either.
 */
export interface AxessGraphqlExtensions {
  /** The GraphQL error code: `UNAUTHENTICATED` (a 401), `CONFLICT` (a 409). */
  code: string;
  /** Why, when the library knows: an ended session's reason, `reauthentication-required`, `session-limit`. */
  reason?: string;
}
