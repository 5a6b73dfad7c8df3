import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The package as users get it, for the tests that install it into throwaway apps: a staged copy
 * of the package's sources is built and packed by `npm pack` (its prepack script builds dist/cjs
 * and dist/esm), so the repo (and its dist/, which the sample app and the benchmark use) is never
 * touched, and two test runs in one tree cannot race on it.
 */

/** The repository's root. */
export const REPO_ROOT = join(__dirname, '../..');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * The environment of a child npm/node: without the npm_* variables of the `npm test` that may be
 * running us, which would otherwise point the child npm at this repo's package.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) && !/^npm_config_(cache|registry|userconfig|.*proxy)$/i.test(name)) continue;
    if (name === 'INIT_CWD' || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to its end (or kills it after `timeoutMs`); never rejects. */
export function run(command: string, args: string[], cwd: string, timeoutMs: number, env = childEnv()): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, output: `${output}\n${String(err)}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** A failed step with the tail of its output, for an error message. */
export function describeRun(what: string, result: RunResult): string {
  return `${what} exited with ${result.code ?? result.signal}:\n${result.output.slice(-4000)}`;
}

/** Like {@link run}, but throws with the step's output unless it exits with 0. */
export async function runOrThrow(
  what: string,
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
  env = childEnv(),
): Promise<RunResult> {
  const result = await run(command, args, cwd, timeoutMs, env);
  if (result.code !== 0) throw new Error(describeRun(what, result));
  return result;
}

/**
 * Copies what the build and the tarball need (manifest, tsconfigs, build script, src, and the
 * non-dist entries of `files`) into `dir`, with node_modules linked rather than copied.
 */
export function stagePackage(dir: string): void {
  mkdirSync(dir);
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files?: string[] };
  const entries = ['package.json', 'scripts', 'src', ...readdirSync(REPO_ROOT).filter((f) => /^tsconfig.*\.json$/.test(f))];
  entries.push(...(manifest.files ?? []).filter((f) => !f.startsWith('dist')));
  for (const entry of entries) {
    if (existsSync(join(REPO_ROOT, entry))) cpSync(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

export interface PackedPackage {
  /** Absolute path of the tarball. */
  tarball: string;
  /** The tarball's entries (`package/...`). */
  files: string[];
}

/** Stages the package in `work/package` and packs it into `work`. */
export async function packPackage(work: string, timeoutMs: number): Promise<PackedPackage> {
  const staged = join(work, 'package');
  stagePackage(staged);
  await runOrThrow('npm pack', 'npm', ['pack', '--pack-destination', work], staged, timeoutMs);
  const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${work}`);
  const tarball = join(work, tarballs[0]);
  const listing = await runOrThrow('tar -tzf', 'tar', ['-tzf', tarball], work, timeoutMs);
  return { tarball, files: listing.output.split('\n').filter(Boolean) };
}

/** `npm install` in `dir` from its package.json, from npm's cache where it can. */
export function npmInstall(dir: string, timeoutMs: number): Promise<RunResult> {
  return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir, timeoutMs);
}
