import { launchValkeyProcess } from './valkey-process.js';

export { freePort, valkeyServerAvailable } from './valkey-process.js';

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
  /** Always loopback. */
  readonly host: '127.0.0.1';
  /** The port it listens on. */
  readonly port: number;
  /** `redis://127.0.0.1:{port}`, for a client or the module's `connection.url`. */
  readonly url: string;
  /** Its data directory. */
  readonly dir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its temp dir unless `keepDir`. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
  /** Freezes the process (SIGSTOP): it accepts connections but answers nothing. */
  pause(): void;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
}

/**
 * Starts `valkey-server` on a free loopback port with persistence off and waits until it answers
 * PING. Retries on a port race. The caller must `stop()` it.
 */
export async function startValkeyServer(options: ValkeyTestServerOptions = {}): Promise<ValkeyTestServer> {
  const server = await launchValkeyProcess(options);
  return {
    host: '127.0.0.1',
    port: server.port,
    url: `redis://127.0.0.1:${server.port}`,
    dir: server.dir,
    pause: () => server.signal('SIGSTOP'),
    resume: () => server.signal('SIGCONT'),
    stop: (stopOptions) => server.stop(stopOptions),
  };
}
