import { createHash } from 'node:crypto';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { ChainableCommander } from 'iovalkey';
import { redirectedPipeline } from './cluster-redirect.js';
import type { ValkeyClient } from './valkey-client.js';

/** A Lua script with its SHA1, ready for `EVALSHA`. */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** Wraps Lua source with its SHA1 digest (computed once, at module load). */
export function luaScript(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Runs `script` on exactly one key by `EVALSHA`, falling back to `EVAL` when the node answers
 * `NOSCRIPT` (a fresh server, a failover, `SCRIPT FLUSH`). Unlike `defineCommand`, it leaves the
 * client untouched, so an app-owned client is never mutated. One key per call keeps every script
 * on one hash slot: a Cluster client routes it by that key, and `EVAL` loads it on that node.
 * Failures are rethrown as `SessionStoreError` naming `operation`.
 */
export async function runLuaScript(
  client: ValkeyClient,
  script: LuaScript,
  key: string,
  args: ReadonlyArray<string | number>,
  operation: string,
): Promise<unknown> {
  try {
    try {
      return await send(client, 'evalsha', script.sha1, key, args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await send(client, 'eval', script.source, key, args);
    }
  } catch (error) {
    throw SessionStoreError.fromClient(operation, error);
  }
}

/**
 * Sends one `EVALSHA`/`EVAL` on `key`. On a Cluster it goes as a one-command pipeline, which is
 * routed by the command's key: iovalkey's auto-pipelining groups commands by their first
 * argument, which for a script is its SHA1 or source, not its key, so scripts on keys of
 * different shards issued in one tick would share a pipeline and fail with "All keys in the
 * pipeline should belong to the same slots allocation group" (ioredis#2109).
 */
async function send(
  client: ValkeyClient,
  command: 'evalsha' | 'eval',
  script: string,
  key: string,
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  if (!client.isCluster) return client[command](script, 1, key, ...args);
  let [error, reply] = await sendOn(client.pipeline(), command, script, key, args);
  // iovalkey follows MOVED and ASK for such a pipeline itself, but with a `natMap` it looks the
  // node up by the address the server announced and misses it: the script did not run, so it is
  // sent once more to the node named, mapped.
  const redirected = redirectedPipeline(client, error);
  if (redirected !== undefined) [error, reply] = await sendOn(redirected, command, script, key, args);
  if (error) throw error;
  return reply;
}

/** The script's reply (the last of `pipeline`, which may start with `ASKING`). */
async function sendOn(
  pipeline: ChainableCommander,
  command: 'evalsha' | 'eval',
  script: string,
  key: string,
  args: ReadonlyArray<string | number>,
): Promise<[Error | null, unknown]> {
  const results = await pipeline[command](script, 1, key, ...args).exec();
  return results?.at(-1) ?? [new Error(`Valkey ${command} did not run.`), null];
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
