import { createHash } from 'node:crypto';
import { ValkeyStoreError } from '../errors/valkey-store.error.js';
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
 * Failures are rethrown as `ValkeyStoreError` naming `operation`.
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
      return await client.evalsha(script.sha1, 1, key, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await client.eval(script.source, 1, key, ...args);
    }
  } catch (error) {
    throw ValkeyStoreError.fromClient(operation, error);
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
