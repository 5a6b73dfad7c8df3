import { adminCommandWithin, infoFields, waitUntil } from '../src/testing/valkey-admin';

/** One command to the node on loopback `port`, failing fast on a dead node (3 s: the soak loads the machine). */
export function admin(port: number, command: string | number, ...args: Array<string | number>): Promise<unknown> {
  return adminCommandWithin(3_000, port, String(command), ...args);
}

/** A `name:value` field of an INFO reply. */
export function infoField(reply: unknown, name: string): string | undefined {
  return infoFields(reply).get(name);
}

/** Polls `check` until it returns true, or throws after `timeoutMs` with its last answer. */
export const until = waitUntil;
