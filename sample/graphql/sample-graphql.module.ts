import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import mercurius from 'mercurius';
import { AuthResolver } from './auth.resolver';
import { GraphqlHttpMiddleware } from './graphql-http.middleware';
import { graphqlParseOptions, graphqlValidationRules, withoutSuggestions } from './graphql-limits';

/** Where the GraphQL endpoint answers. */
export const GRAPHQL_PATH = '/graphql';

/**
 * `POST /graphql`: Apollo on Express, Mercurius on Fastify, schema built from the resolvers
 * (code first, in memory). Each driver's context carries the HTTP request and response, where
 * the session middleware put the session and where a login's cookie goes: Apollo `{ req, res }`,
 * Mercurius `{ req, reply }`.
 *
 * Both drivers get the same cost limits (`graphql-limits.ts`: tokens, aliases, root fields,
 * depth; the 16 KiB body limit is the HTTP server's, see `sample-http.ts`). Introspection and
 * "did you mean" suggestions are given only when `development` (NODE_ENV=development).
 */
@Module({})
export class SampleGraphqlModule implements NestModule {
  static register(fastify: boolean, development = false): DynamicModule {
    const validationRules = graphqlValidationRules(development);
    const graphql = fastify
      ? GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          path: GRAPHQL_PATH,
          autoSchemaFile: true,
          graphiql: false,
          // No parsed-query cache: Mercurius loads its LRU with import(), which jest's CommonJS
          // runtime refuses (tests run the sample in process). The sample's operations are few and small.
          cache: false,
          graphql: { parseOptions: graphqlParseOptions() },
          validationRules,
          errorFormatter: mercuriusErrors(development),
          context: (req: unknown, reply: unknown) => ({ req, reply }),
        })
      : GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: GRAPHQL_PATH,
          autoSchemaFile: true,
          playground: false,
          // Error answers carry no stack traces, whatever NODE_ENV says.
          includeStacktraceInErrorResponses: false,
          csrfPrevention: true,
          parseOptions: graphqlParseOptions(),
          validationRules,
          introspection: development,
          hideSchemaDetailsFromClientErrors: !development,
          context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
        });
    return { module: SampleGraphqlModule, imports: [graphql], providers: [AuthResolver] };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(GraphqlHttpMiddleware).forRoutes({ path: GRAPHQL_PATH, method: RequestMethod.ALL });
  }
}

/**
 * Mercurius's own error formatting, then two changes: a document refused before execution (parse
 * or validation errors, the cost limits' included) answers 400 however many errors it has (as on
 * Apollo; Mercurius answers 200 when there are several), and outside development no message
 * carries "did you mean" suggestions.
 */
function mercuriusErrors(development: boolean): typeof mercurius.defaultErrorFormatter {
  return (execution, context) => {
    const formatted = mercurius.defaultErrorFormatter(execution, context);
    const refused =
      !execution.data && execution.errors?.some((error) => Array.isArray((error.originalError as { errors?: unknown })?.errors));
    const errors = development
      ? formatted.response.errors
      : formatted.response.errors?.map((error) => ({ ...error, message: withoutSuggestions(error.message) }));
    return { statusCode: refused ? 400 : formatted.statusCode, response: { ...formatted.response, ...(errors ? { errors } : {}) } };
  };
}
