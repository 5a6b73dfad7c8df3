import { Redis } from 'iovalkey';

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

/** Fields of a flat `[name, value, name, value, …]` reply (e.g. `SENTINEL MASTER`). */
export function pairFields(reply: unknown): Map<string, string> {
  const flat = Array.isArray(reply) ? reply.map(String) : [];
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i], flat[i + 1]);
  return fields;
}

/**
 * Polls `check` until it answers `true` (a thrown error counts as not yet); fails after
 * `timeoutMs` with `what` and the last reason `check` gave.
 */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<true | string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let reason = 'not checked yet';
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result === true) return;
      reason = result;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms: ${reason}`);
}
