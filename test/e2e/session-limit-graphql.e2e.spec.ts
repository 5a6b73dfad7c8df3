import { Injectable, Module, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Args, Context, Field, GqlExecutionContext, GraphQLModule, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { Redis } from 'iovalkey';
import {
  AxessSessionModule,
  AxessSessionService,
  CurrentSession,
  MaxSessions,
  MaxSessionsGuard,
  RequireRecentAuth,
  type AxessSession,
} from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { cookiePair, send, type AdapterName } from '../harness/http-app';
import { listenOnLoopback } from '../harness/listen';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

@ObjectType('SignedIn')
class SignedIn {
  @Field(() => String)
  userId!: string;
}

/** Stands in for the app's GraphQL authentication: the mutation's `name` becomes `req.user`. */
@Injectable()
class GraphqlNameGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const graphql = GqlExecutionContext.create(context);
    const { req } = graphql.getContext<{ req: { user?: unknown } }>();
    req.user = { id: graphql.getArgs<{ name: string }>().name };
    return true;
  }
}

@Resolver()
class SignInResolver {
  constructor(private readonly sessions: AxessSessionService) {}

  /** Stands for "the app checked the password again". */
  @Mutation(() => Boolean)
  async confirm(@Context('req') req: unknown): Promise<boolean> {
    await this.sessions.confirmAuthentication(req);
    return true;
  }

  @Mutation(() => SignedIn)
  @MaxSessions(1, { onSessionLimit: 'refuse' })
  @UseGuards(GraphqlNameGuard, MaxSessionsGuard)
  signIn(@Args('name', { type: () => String }) _name: string, @CurrentSession() session: AxessSession): SignedIn {
    return { userId: session.userId! };
  }

  /** A sign-in with an optional "remember me" argument, read by `MaxSessionsGuard` (the module's default `rememberMe.from`). */
  @Mutation(() => SignedIn)
  @UseGuards(GraphqlNameGuard, MaxSessionsGuard)
  signInMaybeRemembered(
    @Args('name', { type: () => String }) _name: string,
    @Args('rememberMe', { type: () => Boolean, nullable: true }) _rememberMe: boolean | null,
    @CurrentSession() session: AxessSession,
  ): SignedIn {
    return { userId: session.userId! };
  }

  /** Wants an authentication at most a minute old. */
  @Query(() => String)
  @RequireRecentAuth(60_000)
  sensitive(@CurrentSession() session: AxessSession): string {
    return session.userId!;
  }

  @Query(() => String, { nullable: true })
  whoami(@CurrentSession() session: AxessSession): string | null {
    return session.userId ?? null;
  }
}

function graphqlModule(adapter: AdapterName) {
  return adapter === 'fastify'
    ? GraphQLModule.forRoot<MercuriusDriverConfig>({
        driver: MercuriusDriver,
        autoSchemaFile: true,
        graphiql: false,
        cache: false,
        context: (req: unknown, reply: unknown) => ({ req, reply }),
      })
    : GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        autoSchemaFile: true,
        playground: false,
        includeStacktraceInErrorResponses: false,
        context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
      });
}

const signIn = (name: string) => ({ query: `mutation { signIn(name: ${JSON.stringify(name)}) { userId } }` });

describe.each<AdapterName>(['express', 'fastify'])(
  "%s: GraphQL refusals of a sign-in at the cap (onSessionLimit 'refuse') and of a step-up",
  (adapter) => {
    let app: INestApplication;
    let url: string;
    let client: Redis;
    const clock = new ManualClock(Date.UTC(2032, 0, 1));

    beforeAll(async () => {
      client = testClient();
      @Module({
        imports: [
          AxessSessionModule.forRoot({
            client,
            prefix: uniquePrefix('gql'),
            encryptionKey: randomKey(),
            signingKey: randomKey(),
            cookie: { secure: false },
            clock,
          }),
          graphqlModule(adapter),
        ],
        providers: [SignInResolver, GraphqlNameGuard],
      })
      class GraphqlAppModule {}
      const ref = await Test.createTestingModule({ imports: [GraphqlAppModule] }).compile();
      ({ app, url } = await listenOnLoopback(ref, adapter));
    });

    afterAll(async () => {
      await app?.close();
      await client?.quit();
    });

    it('carries the rememberMe argument through MaxSessionsGuard: a persistent cookie with it, a browser-session cookie without', async () => {
      const remembered = await send(url, 'POST', '/graphql', {
        body: { query: 'mutation { signInMaybeRemembered(name: "rita", rememberMe: true) { userId } }' },
      });
      expect(remembered.body).toEqual({ data: { signInMaybeRemembered: { userId: 'rita' } } });
      const persistent = remembered.setCookies.find((c) => c.startsWith('axess.sid='))!;
      expect(Number(/Max-Age=(\d+)/.exec(persistent)![1])).toBe(30 * 86_400);
      for (const query of [
        'mutation { signInMaybeRemembered(name: "sam") { userId } }',
        'mutation { signInMaybeRemembered(name: "sam", rememberMe: false) { userId } }',
      ]) {
        const plain = await send(url, 'POST', '/graphql', { body: { query, rememberMe: true } });
        expect(plain.body.data.signInMaybeRemembered.userId).toBe('sam');
        expect(plain.setCookies.find((c) => c.startsWith('axess.sid='))).not.toMatch(/Max-Age|Expires/i);
      }
    });

    it("answers an error with extensions { code: 'CONFLICT', reason: 'session-limit' }, no cookie, the first session intact", async () => {
      const first = await send(url, 'POST', '/graphql', { body: signIn('gina') });
      expect(first.body).toEqual({ data: { signIn: { userId: 'gina' } } });
      const cookie = cookiePair(first)!;
      expect(cookie).toBeDefined();

      const refused = await send(url, 'POST', '/graphql', { body: signIn('gina') });
      expect(refused.body.data ?? null).toBeNull();
      expect(refused.body.errors).toHaveLength(1);
      expect(refused.body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'session-limit' });
      expect(refused.setCookies).toEqual([]);

      const still = await send(url, 'POST', '/graphql', { cookie, body: { query: '{ whoami }' } });
      expect(still.body).toEqual({ data: { whoami: 'gina' } });
    });

    it("answers a too old authentication on a @RequireRecentAuth resolver with extensions { code: 'UNAUTHENTICATED', reason: 'reauthentication-required' }", async () => {
      const cookie = cookiePair(await send(url, 'POST', '/graphql', { body: signIn('hana') }))!;
      const fresh = await send(url, 'POST', '/graphql', { cookie, body: { query: '{ sensitive }' } });
      expect(fresh.body).toEqual({ data: { sensitive: 'hana' } });

      clock.advance(60_001);
      const old = await send(url, 'POST', '/graphql', { cookie, body: { query: '{ sensitive }' } });
      expect(old.body.data ?? null).toBeNull();
      expect(old.body.errors).toHaveLength(1);
      expect(old.body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'reauthentication-required' });
    });

    it('confirmAuthentication in a resolver: without a session an UNAUTHENTICATED error; with one, a fresh authentication that passes the step-up', async () => {
      const anonymous = await send(url, 'POST', '/graphql', { body: { query: 'mutation { confirm }' } });
      expect(anonymous.body.data ?? null).toBeNull();
      expect(anonymous.body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(anonymous.setCookies).toEqual([]);

      const cookie = cookiePair(await send(url, 'POST', '/graphql', { body: signIn('ines') }))!;
      clock.advance(60_001);
      const confirmed = await send(url, 'POST', '/graphql', { cookie, body: { query: 'mutation { confirm }' } });
      expect(confirmed.body).toEqual({ data: { confirm: true } });
      const rotated = cookiePair(confirmed)!;
      expect(rotated).toBeDefined();
      expect(rotated).not.toEqual(cookie);
      const fresh = await send(url, 'POST', '/graphql', { cookie: rotated, body: { query: '{ sensitive }' } });
      expect(fresh.body).toEqual({ data: { sensitive: 'ines' } });
    });
  },
);
