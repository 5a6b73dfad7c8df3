/** The `extensions` of the GraphQL error a refusal of the library becomes (graphql-js copies them from the thrown error). */
export interface AxessGraphqlExtensions {
  /** The GraphQL error code: `UNAUTHENTICATED` (a 401), `CONFLICT` (a 409). */
  code: string;
  /** Why, when the library knows: an ended session's reason, `reauthentication-required`, `session-limit`. */
  reason?: string;
}
