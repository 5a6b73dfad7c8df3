import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { AuthResolver } from './auth.resolver';
import { GraphqlHttpMiddleware } from './graphql-http.middleware';

/** Where the GraphQL endpoint answers. */
export const GRAPHQL_PATH = '/graphql';

/**
 * `POST /graphql`: Apollo on Express, Mercurius on Fastify, schema built from the resolvers
 * (code first, in memory). Each driver's context carries the HTTP request and response, where
 * the session middleware put the session and where a login's cookie goes: Apollo `{ req, res }`,
 * Mercurius `{ req, reply }`.
 */
@Module({})
export class SampleGraphqlModule implements NestModule {
  static register(fastify: boolean): DynamicModule {
    const graphql = fastify
      ? GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          path: GRAPHQL_PATH,
          autoSchemaFile: true,
          graphiql: false,
          // No parsed-query cache: Mercurius loads its LRU with import(), which jest's CommonJS
          // runtime refuses (tests run the sample in process). The sample's operations are few and small.
          cache: false,
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
          context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
        });
    return { module: SampleGraphqlModule, imports: [graphql], providers: [AuthResolver] };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(GraphqlHttpMiddleware).forRoutes({ path: GRAPHQL_PATH, method: RequestMethod.ALL });
  }
}
