import { Redis } from 'iovalkey';

/** One command to the node on loopback `port`, on a short-lived connection that never retries (a dead node fails fast). */
export async function admin(port: number, ...args: Array<string | number>): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    disconnectTimeout: 100,
  });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${String(args[0])} on port ${port} timed out`)), 3_000);
  });
  try {
    const [command, ...rest] = args;
    return await Promise.race([client.connect().then(() => client.call(String(command), ...rest)), deadline]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** `name:value` lines of an INFO reply. */
export function infoField(reply: unknown, name: string): string | undefined {
  const line = String(reply)
    .split(/\r?\n/)
    .find((l) => l.startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

/** Polls `check` until it returns true, or throws after `timeoutMs` with its last answer. */
export async function until(what: string, timeoutMs: number, check: () => Promise<true | string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result === true) return;
      last = result;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not after ${timeoutMs} ms (${last})`);
}
