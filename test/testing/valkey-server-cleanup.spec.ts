import { transformFileSync } from '@swc/core';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersPing } from '../../src/testing/valkey-process';

/**
 * `startValkeyServer()` from `/testing` leaves no server behind however its process ends: the
 * helper runs in a child Node process (compiled from the sources as they ship), which starts a
 * server and then ends through `process.exit` (what Nest does when `app.init()` fails), by a
 * crash, or by SIGKILL. The server must stop answering and its temp dir must go.
 */

const SOURCES = join(__dirname, '../../src/testing');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'axess-cleanup-'));
  for (const name of ['valkey-process', 'valkey-test-server']) {
    const { code } = transformFileSync(join(SOURCES, `${name}.ts`), {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    writeFileSync(join(dir, `${name}.js`), code);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A child that starts a server, prints its port and data dir, then ends as `ending` says. */
function childScript(ending: string): string {
  return `
    const { startValkeyServer } = require(${JSON.stringify(join(dir, 'valkey-test-server.js'))});
    startValkeyServer().then((server) => {
      process.stdout.write(JSON.stringify({ port: server.port, dir: server.dir }) + '\\n');
      ${ending}
    });`;
}

function runChild(ending: string): Promise<{ port: number; dir: string; child: ReturnType<typeof spawn> }> {
  const child = spawn(process.execPath, ['-e', childScript(ending)], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve({ ...(JSON.parse(line) as { port: number; dir: string }), child });
    });
    child.once('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`child exited with ${code} before starting a server`));
    });
  });
}

/**
 * Whether a `valkey-server` still runs in `serverDir` (it changes into its `--dir`; it rewrites
 * its command line). Told this way rather than by its port: once it is gone, another test's
 * server may take the port over, and may even be paused, answering nothing.
 */
function serverRunsIn(serverDir: string): boolean {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('valkey-server')) continue;
      // A removed dir reads as "<dir> (deleted)".
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(serverDir)) return true;
    } catch {
      // The process ended (or is a zombie) while we looked.
    }
  }
  return false;
}

/** Polls until the server is gone and its dir removed; false after `timeoutMs`. */
async function goneWithin(serverDir: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!serverRunsIn(serverDir) && !existsSync(serverDir)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('startValkeyServer() never leaves a server behind', () => {
  it.each([
    ['process.exit(1) right after start (as Nest does when app.init() fails)', 'process.exit(1);'],
    ['an uncaught exception', "setImmediate(() => { throw new Error('boom'); });"],
    ['SIGKILL of the process', "process.kill(process.pid, 'SIGKILL');"],
  ])('when its process ends by %s', async (_label, ending) => {
    const { dir: serverDir } = await runChild(ending);
    expect(await goneWithin(serverDir)).toBe(true);
  });

  it('keeps the server while its process lives, and ends it with the process', async () => {
    const { port, dir: serverDir, child } = await runChild('setInterval(() => undefined, 1000);');
    try {
      expect(await answersPing(port)).toBe(true);
      expect(serverRunsIn(serverDir)).toBe(true);
      expect(existsSync(serverDir)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await goneWithin(serverDir)).toBe(true);
  });
});
