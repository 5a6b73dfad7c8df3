import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parse as parseForm } from 'node:querystring';
import { GRAPHQL_LIMITS } from './graphql/graphql-limits';

/** The largest JSON body the sample reads (the JSON API and `/graphql`): its requests are a few hundred bytes. */
export const JSON_BODY_LIMIT_BYTES = GRAPHQL_LIMITS.maxBodyBytes;

/**
 * The sample's body parsing, the same on Express and Fastify. Every way of building the sample app
 * calls this before `init`/`listen`.
 * - JSON bodies up to 16 KiB (Express's default is 100 KB, Fastify's 1 MiB): a bigger one is
 *   refused with 413 before it is read, so an outsized GraphQL document never reaches the parser.
 * - A state-changing JSON request may have no body (`content-type: application/json` and nothing
 *   else, as sample/README.md says): Express's parser leaves `req.body` unset; Fastify's default parser
 *   answers 400 (FST_ERR_CTP_EMPTY_JSON_BODY), so the sample's parser reads an empty body as no body.
 */
export function useSampleHttp(app: INestApplication): void {
  if (app.getHttpAdapter().getType() !== 'fastify') {
    (app as NestExpressApplication).useBodyParser('json', { limit: JSON_BODY_LIMIT_BYTES });
    return;
  }
  const fastify = app as NestFastifyApplication;
  const instance = fastify.getHttpAdapter().getInstance();
  // Fastify's own JSON parser, with the same protections Nest's adapter sets up (proto and constructor poisoning refused).
  const json = instance.getDefaultJsonParser('error', 'error');
  fastify.useBodyParser('application/json', { bodyLimit: JSON_BODY_LIMIT_BYTES }, (req, body, done) => {
    if (body.length === 0) done(null, undefined);
    else void json(req as never, body as unknown as string, done);
  });
  // Registering a parser tells Nest not to register its defaults: the form parser is registered
  // again here, as Nest's adapter does it (the pages' sign-in and devices forms).
  fastify.useBodyParser('application/x-www-form-urlencoded', {}, (_req, body, done) => done(null, parseForm(body.toString())));
}
