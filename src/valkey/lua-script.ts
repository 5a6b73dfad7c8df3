import { createHash } from 'node:crypto';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { ChainableCommander } from 'iovalkey';
import { redirectedPipeline } from './cluster-redirect.js';
import type { ValkeyClient } from './valkey-client.js';
import { checkAcknowledged, type DurableWritesOptions } from './durable-writes.js';

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
 * Failures are rethrown as `SessionStoreError` naming `operation`. With `durable`, a `WAIT` travels
 * behind the script in the same pipeline (on the key's node): too few acknowledgements fail with
 * `SessionStoreError('replication')`.
 */
export async function runLuaScript(
  client: ValkeyClient,
  script: LuaScript,
  key: string,
  args: ReadonlyArray<string | number>,
  operation: string,
  durable?: DurableWritesOptions,
): Promise<unknown> {
  let reply: [unknown, Reply | undefined];
  try {
    try {
      reply = await send(client, 'evalsha', script.sha1, key, args, durable);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      reply = await send(client, 'eval', script.source, key, args, durable);
    }
  } catch (error) {
    throw SessionStoreError.fromClient(operation, error);
  }
  if (durable) checkAcknowledged(durable, operation, reply[1] ?? [new Error('WAIT did not run.'), null]);
  return reply[0];
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
  durable: DurableWritesOptions | undefined,
): Promise<[unknown, Reply | undefined]> {
  if (!client.isCluster && !durable) return [await client[command](script, 1, key, ...args), undefined];
  let [ran, waited] = await sendOn(client.pipeline(), command, script, key, args, durable);
  // iovalkey follows MOVED and ASK for such a pipeline itself, but with a `natMap` it looks the
  // node up by the address the server announced and misses it: the script did not run, so it is
  // sent once more to the node named, mapped.
  const redirected = redirectedPipeline(client, ran[0]);
  if (redirected !== undefined) [ran, waited] = await sendOn(redirected, command, script, key, args, durable);
  const [error, reply] = ran;
  if (error) throw error;
  return [reply, waited];
}

type Reply = [Error | null, unknown];

/** The script's reply and its `WAIT`'s (the last of `pipeline`, which may start with `ASKING`). */
async function sendOn(
  pipeline: ChainableCommander,
  command: 'evalsha' | 'eval',
  script: string,
  key: string,
  args: ReadonlyArray<string | number>,
  durable: DurableWritesOptions | undefined,
): Promise<[Reply, Reply | undefined]> {
  const withScript = pipeline[command](script, 1, key, ...args);
  const results = await (durable ? withScript.wait(durable.replicas, durable.timeoutMs) : withScript).exec();
  const missing: Reply = [new Error(`Valkey ${command} did not run.`), null];
  if (!results) return [missing, undefined];
  return durable ? [results.at(-2) ?? missing, results.at(-1)] : [results.at(-1) ?? missing, undefined];
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
