// No relative imports here: jest's global setup loads this file outside the test module mapper,
// where `./x.js` specifiers do not resolve to TypeScript sources.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to launch one `valkey-server` process (shared by the test-server, cluster and sentinel helpers). */
export interface ValkeyProcessOptions {
  /** Fixed port; a free loopback port by default (retried on a port race). */
  port?: number;
  /** Data directory to use; a fresh temp dir (removed by `stop`) by default. */
  dir?: string;
  /** The server binary. @default process.env.VALKEY_SERVER ?? 'valkey-server' */
  binary?: string;
  /** A config file, passed first on the command line (sentinels need one they can rewrite). */
  configFile?: string;
  /**
   * Extra arguments after the defaults, e.g. `['--sentinel']`; or a function of the chosen port
   * (called again for each port tried, e.g. to pick a fresh cluster bus port).
   */
  args?: string[] | ((port: number) => string[] | Promise<string[]>);
}

/** One running `valkey-server` on 127.0.0.1. */
export interface ValkeyProcess {
  readonly port: number;
  readonly dir: string;
  /** Sends a signal (SIGSTOP freezes, SIGCONT thaws). */
  signal(signal: NodeJS.Signals): void;
  /** Kills the process outright (SIGKILL), like a crash, and waits until it is gone. */
  crash(): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes an owned temp dir unless `keepDir`. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

/** The server binary to run. */
export function valkeyBinary(binary?: string): string {
  return binary ?? process.env.VALKEY_SERVER ?? 'valkey-server';
}

/** True when `valkey-server` can be run. */
export function valkeyServerAvailable(binary = valkeyBinary()): boolean {
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
 * Starts `valkey-server` on loopback with persistence off and waits until it answers PING.
 * Retries with another port when the chosen one was taken meanwhile. The caller must stop it.
 */
export async function launchValkeyProcess(options: ValkeyProcessOptions = {}): Promise<ValkeyProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launchOnce(port, options);
    } catch (error) {
      lastError = error;
      if (options.port !== undefined) break;
    }
  }
  throw lastError;
}

async function launchOnce(port: number, options: ValkeyProcessOptions): Promise<ValkeyProcess> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'axess-valkey-'));
  const extra = typeof options.args === 'function' ? await options.args(port) : (options.args ?? []);
  const args = [
    // The config file must come first on valkey-server's command line.
    ...(options.configFile ? [options.configFile] : []),
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--logfile',
    '',
    ...extra,
  ];
  const child = spawn(valkeyBinary(options.binary), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`valkey-server exited with code ${code}: ${stderr.trim()}`)));
  });
  exited.catch(() => undefined);
  try {
    const answering = waitUntil(
      `valkey-server on port ${port} answering PING`,
      10_000,
      async () => (await answersPing(port)) || 'no PONG',
      50,
    );
    await Promise.race([answering, exited]);
  } catch (error) {
    child.kill('SIGKILL');
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const watchdog = watchOver(child, ownsDir ? dir : undefined);
  track(child);
  return {
    port,
    dir,
    signal: (signal) => void child.kill(signal),
    crash: async () => {
      untrack(child);
      await ended(child);
      dismiss(watchdog);
    },
    stop: async ({ keepDir = false } = {}) => {
      untrack(child);
      await ended(child, true);
      dismiss(watchdog);
      if (ownsDir && !keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Servers started together (a cluster, a sentinel group) under one temp root: `stop` kills them all and removes it. */
export function launchGroup(label: string) {
  const root = mkdtempSync(join(tmpdir(), `axess-valkey-${label}-`));
  const started: ValkeyProcess[] = [];
  return {
    /** A fresh directory under the root. */
    dir: (name: string): string => {
      const dir = join(root, name);
      mkdirSync(dir);
      return dir;
    },
    launch: async (options: ValkeyProcessOptions): Promise<ValkeyProcess> => {
      const server = await launchValkeyProcess(options);
      started.push(server);
      return server;
    },
    stop: async (): Promise<void> => {
      await Promise.all(started.map((server) => server.crash()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * A process that kills `child` and removes its temp dir once a pipe only this process holds
 * closes, however this process ends (a jest worker's `process.exit`, SIGKILL, a crash).
 */
function watchOver(child: ChildProcess, dir: string | undefined): ChildProcess {
  const script = 'cat >/dev/null; kill -9 "$1" 2>/dev/null; if [ -n "$2" ]; then rm -rf -- "$2"; fi';
  const watchdog = spawn('sh', ['-c', script, 'axess-valkey-watchdog', String(child.pid), dir ?? ''], {
    stdio: ['pipe', 'ignore', 'ignore'],
    // Its own process group: a Ctrl+C aimed at the test run must not end it before the server.
    detached: true,
  });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

/** The server was stopped the normal way: its watchdog goes first, so it never signals a reused pid. */
function dismiss(watchdog: ChildProcess): void {
  if (!hasExited(watchdog)) watchdog.kill('SIGKILL');
}

// A run that dies early leaves no servers: one 'exit' listener for all of them, attached only while some run.
const running = new Set<ChildProcess>();
const killRunning = () => {
  for (const child of running) child.kill('SIGKILL');
};

function track(child: ChildProcess): void {
  if (running.size === 0) process.once('exit', killRunning);
  running.add(child);
}

function untrack(child: ChildProcess): void {
  if (running.delete(child) && running.size === 0) process.removeListener('exit', killRunning);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Ends `child` with SIGKILL, or gracefully (SIGTERM, then SIGKILL after 5 s), and waits until it is gone. */
async function ended(child: ChildProcess, graceful = false): Promise<void> {
  if (hasExited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A frozen process cannot handle SIGTERM.
  if (graceful) child.kill('SIGCONT');
  child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
  const timer = graceful ? setTimeout(() => child.kill('SIGKILL'), 5_000) : undefined;
  await gone;
  clearTimeout(timer);
}

/**
 * Polls `check` until it answers `true` (a thrown error counts as not yet); fails after
 * `timeoutMs` with `what` and the last reason `check` gave.
 */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<true | string>, intervalMs = 100): Promise<void> {
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
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms: ${reason}`);
}

/** True when a raw RESP PING to `port` on loopback answers PONG within half a second. */
export function answersPing(port: number): Promise<boolean> {
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
