import { Redis } from 'iovalkey';

export { waitUntil } from './valkey-process.js';

/**
 * Sends one command to the server on `127.0.0.1:port` over a short-lived connection that never
 * retries or queues: a dead or frozen node fails fast instead of stalling a topology check.
 */
export function adminCommand(port: number, command: string, ...args: Array<string | number>): Promise<unknown> {
  return adminCommandWithin(1_000, port, command, ...args);
}

/** {@link adminCommand} with a deadline of `deadlineMs` (longer on a machine under load). */
export async function adminCommandWithin(
  deadlineMs: number,
  port: number,
  command: string,
  ...args: Array<string | number>
): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    // The socket is closed at once after the reply; no 2 s fallback timer left behind.
    disconnectTimeout: 100,
  });
  // Failures surface through the returned promise; the event would only be noise.
  client.on('error', () => undefined);
  // Our own deadline rather than `commandTimeout`, whose timers outlive the command and would
  // keep a short test file from exiting.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${command} on port ${port} timed out`)), deadlineMs);
  });
  try {
    return await Promise.race([client.connect().then(() => client.call(command, ...args)), deadline]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** Fields of an `INFO` or `CLUSTER INFO` reply (`name:value` lines). */
export function infoFields(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of String(reply).split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

/** Fields of a flat `[name, value, name, value, …]` reply (e.g. `SENTINEL MASTER`, `CLUSTER SHARDS`), values as they came. */
export function pairs(reply: unknown): Map<string, unknown> {
  const flat: unknown[] = Array.isArray(reply) ? reply : [];
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
  return fields;
}

/** The reply of the first of `ports` that answers `command` (a dead or frozen node is skipped). */
export async function askAny(ports: number[], command: string, ...args: Array<string | number>): Promise<unknown> {
  let lastError: unknown = new Error('no running node');
  for (const port of ports) {
    try {
      return await adminCommand(port, command, ...args);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** True once every replica among `ports` has its replication link up; otherwise why not. */
export async function replicasInSync(ports: number[]): Promise<true | string> {
  for (const port of ports) {
    const info = infoFields(await adminCommand(port, 'INFO', 'replication'));
    if (info.get('role') === 'slave' && info.get('master_link_status') !== 'up') return `replica ${port} is not in sync`;
  }
  return true;
}
