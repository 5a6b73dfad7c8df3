import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of {@link startValkeyServer}. */
export interface ValkeyTestServerOptions {
  /** Extra `valkey-server` arguments, e.g. `['--appendonly', 'yes']`. */
  args?: string[];
  /** Fixed port (e.g. to restart on the same one); a free loopback port by default. */
  port?: number;
  /** Data directory to reuse (e.g. to restart with the same AOF); a fresh temp dir by default. */
  dir?: string;
  /** The server binary. @default process.env.VALKEY_SERVER ?? 'valkey-server' */
  binary?: string;
}

/** A private `valkey-server` on loopback, owned by a test run. */
export interface ValkeyTestServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its temp dir unless `keepDir`. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
  /** Freezes the process (SIGSTOP): it accepts connections but answers nothing. */
  pause(): void;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
}

/** True when `valkey-server` can be run. */
export function valkeyServerAvailable(binary = process.env.VALKEY_SERVER ?? 'valkey-server'): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Asks the OS for a port that is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts `valkey-server` on a free loopback port with persistence off and waits until it answers
 * PING. Retries on a port race. The caller must `stop()` it.
 */
export async function startValkeyServer(options: ValkeyTestServerOptions = {}): Promise<ValkeyTestServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(port, options);
    } catch (error) {
      lastError = error;
      if (options.port !== undefined) break;
    }
  }
  throw lastError;
}

async function launch(port: number, options: ValkeyTestServerOptions): Promise<ValkeyTestServer> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'axess-valkey-'));
  const binary = options.binary ?? process.env.VALKEY_SERVER ?? 'valkey-server';
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '', ...(options.args ?? [])];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`valkey-server exited with code ${code}: ${stderr.trim()}`)));
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPing(port, 10_000), exited]);
  } catch (error) {
    child.kill('SIGKILL');
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const stopOnExit = () => child.kill('SIGKILL');
  process.once('exit', stopOnExit);
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop: async ({ keepDir = false } = {}) => {
      process.removeListener('exit', stopOnExit);
      await terminate(child);
      if (ownsDir && !keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}

/** Resolves once a raw RESP PING on `port` answers PONG. */
async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingOnce(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`valkey-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}
