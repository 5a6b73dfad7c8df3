import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';

/** What the sample reads from its environment. */
export interface SampleConfig {
  port: number;
  valkeyUrl?: string;
  fastify: boolean;
  maxSessions: number;
  encryptionKey: string;
  previousEncryptionKey?: string;
  signingKey: string;
  /**
   * Which proxies to trust for the client's ip and scheme (X-Forwarded-For / -Proto): their
   * addresses or subnets, separated by commas (`10.0.0.0/8, 127.0.0.1`; `loopback` names
   * 127.0.0.0/8 and ::1). Unset: none; the socket's peer is the client, and forwarded headers
   * are ignored.
   */
  trustProxy?: string;
  /**
   * Keep sessions in a local cache, coherent through Valkey's client-side caching (the module's
   * `localCache` option; `AXESS_LOCAL_CACHE=1`). Ignored with the in-memory fallback.
   */
  localCache?: boolean;
  /**
   * NODE_ENV=development: GraphQL introspection and "did you mean" suggestions are given (they
   * publish the schema, so they are off otherwise).
   */
  development?: boolean;
  /** Usernames allowed on `POST /admin/revoke-everyone` (`ADMIN_USERS`, comma-separated). @default none */
  adminUsers?: readonly string[];
  /** Set by tests: a clock, shorter timeouts, etc. */
  overrides?: Record<string, unknown>;
}

/**
 * Reads PORT, VALKEY_URL, FASTIFY, MAX_SESSIONS, AXESS_ENCRYPTION_KEY,
 * AXESS_PREVIOUS_ENCRYPTION_KEY, AXESS_SIGNING_KEY, TRUST_PROXY, AXESS_LOCAL_CACHE, ADMIN_USERS and NODE_ENV
 * (`REAUTH_MAX_AGE_MS` is read by `reauthMaxAgeMsFromEnv`). Missing keys are replaced by ephemeral
 * ones (sessions then do not survive a restart), with a warning.
 */
export function sampleConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  const logger = new Logger('Sample');
  const ephemeral = (name: string): string => {
    logger.warn(`${name} is not set: using an ephemeral key; sessions will not survive a restart.`);
    return randomBytes(32).toString('base64');
  };
  const valkeyUrl = env.VALKEY_URL || undefined;
  const encryptionKey = env.AXESS_ENCRYPTION_KEY || ephemeral('AXESS_ENCRYPTION_KEY');
  // The module claims its key prefix for its keys: a fresh ephemeral key on a Valkey that
  // outlives this run would find the default prefix taken by the last run's key. Such a run gets
  // a prefix of its own (its sessions die with it anyway).
  const prefix = !env.AXESS_ENCRYPTION_KEY && valkeyUrl ? `axess-ephemeral-${randomBytes(4).toString('hex')}` : undefined;
  if (prefix) logger.warn(`With an ephemeral key on VALKEY_URL, this run uses the key prefix "${prefix}".`);
  return {
    port: Number(env.PORT ?? 3000),
    valkeyUrl,
    fastify: env.FASTIFY === '1' || env.FASTIFY === 'true',
    maxSessions: Number(env.MAX_SESSIONS ?? 3),
    encryptionKey,
    previousEncryptionKey: env.AXESS_PREVIOUS_ENCRYPTION_KEY || undefined,
    signingKey: env.AXESS_SIGNING_KEY || ephemeral('AXESS_SIGNING_KEY'),
    trustProxy: env.TRUST_PROXY?.trim() || undefined,
    localCache: env.AXESS_LOCAL_CACHE === '1' || env.AXESS_LOCAL_CACHE === 'true',
    development: env.NODE_ENV === 'development',
    adminUsers: (env.ADMIN_USERS ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    ...(prefix ? { overrides: { prefix } } : {}),
  };
}

/**
 * `REAUTH_MAX_AGE_MS` (default 300000): how recent an authentication signing other devices out
 * needs; older ones must confirm the password first. Read when the controllers are defined, since
 * `@RequireRecentAuth()` takes its value then, before the app's config exists.
 */
export function reauthMaxAgeMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.REAUTH_MAX_AGE_MS || 300_000);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`REAUTH_MAX_AGE_MS must be a positive integer, got ${env.REAUTH_MAX_AGE_MS}`);
  return value;
}
