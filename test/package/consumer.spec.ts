import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testValkeyUrl } from '../harness/valkey';

/**
 * The package as users get it: `npm pack` (its prepack script builds dist/cjs and dist/esm), the
 * tarball installed into a throwaway app per NestJS major, the module booted there on the suite's
 * Valkey. Nest 11 apps are CommonJS and must get dist/cjs; Nest 12 is ESM-only and must get
 * dist/esm. Everything happens in one temp dir that is removed afterwards. The build and pack run
 * on a staged copy of the package's sources, so the repo (and its dist/, which the sample app and
 * the benchmark use) is never touched, and two test runs in one tree cannot race on it.
 */

const ROOT = join(__dirname, '../..');
const STEP_TIMEOUT_MS = 240_000;
/** A consumer that does not exit by itself (e.g. a client left open at shutdown) is a failure. */
const APP_TIMEOUT_MS = 60_000;
const MARKER = 'AXESS_CONSUMER_OK';

interface Consumer {
  name: string;
  nestRange: string;
  type: 'commonjs' | 'module';
  source: string;
  entry: string;
  /** The build folder this kind of app must load. */
  build: 'dist/cjs' | 'dist/esm';
  other: 'dist/cjs' | 'dist/esm';
}

const CONSUMERS: Consumer[] = [
  { name: 'nest11-cjs', nestRange: '^11', type: 'commonjs', source: 'nest11-cjs.cjs', entry: 'main.cjs', build: 'dist/cjs', other: 'dist/esm' },
  { name: 'nest12-esm', nestRange: '^12', type: 'module', source: 'nest12-esm.mjs', entry: 'main.mjs', build: 'dist/esm', other: 'dist/cjs' },
];

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * The environment of a child npm/node: without the npm_* variables of the `npm test` that may be
 * running us, which would otherwise point the child npm at this repo's package.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) && !/^npm_config_(cache|registry|userconfig|.*proxy)$/i.test(name)) continue;
    if (name === 'INIT_CWD' || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to its end (or kills it after `timeoutMs`); never rejects. */
function run(command: string, args: string[], cwd: string, timeoutMs: number, env = childEnv()): Promise<RunResult> {
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

/**
 * Copies what the build and the tarball need (manifest, tsconfigs, build script, src, and the
 * non-dist entries of `files`) into `dir`, with node_modules linked rather than copied.
 */
function stagePackage(dir: string): void {
  mkdirSync(dir);
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files?: string[] };
  const entries = ['package.json', 'scripts', 'src', ...readdirSync(ROOT).filter((f) => /^tsconfig.*\.json$/.test(f))];
  entries.push(...(manifest.files ?? []).filter((f) => !f.startsWith('dist')));
  for (const entry of entries) {
    if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

function describeRun(what: string, result: RunResult): string {
  return `${what} exited with ${result.code ?? result.signal}:\n${result.output.slice(-4000)}`;
}

describe('the packed package in consumer apps', () => {
  let work: string;
  let packedFiles: string[] = [];
  const installs = new Map<string, Promise<RunResult>>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'axess-consumers-'));
    const staged = join(work, 'package');
    stagePackage(staged);
    const pack = await run('npm', ['pack', '--pack-destination', work], staged, STEP_TIMEOUT_MS);
    if (pack.code !== 0) throw new Error(describeRun('npm pack', pack));
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
    if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${work}`);
    const tarball = join(work, tarballs[0]);
    const listing = await run('tar', ['-tzf', tarball], work, STEP_TIMEOUT_MS);
    packedFiles = listing.output.split('\n').filter(Boolean);

    // Both installs run at once: they are mostly waiting on the network and the npm cache.
    for (const consumer of CONSUMERS) {
      const dir = join(work, consumer.name);
      mkdirSync(dir);
      const manifest = {
        name: `axess-consumer-${consumer.name}`,
        private: true,
        type: consumer.type,
        dependencies: {
          '@axess/nestjs-session': `file:${tarball}`,
          '@nestjs/common': consumer.nestRange,
          '@nestjs/core': consumer.nestRange,
          'reflect-metadata': '^0.2.0',
          rxjs: '^7.8.0',
          iovalkey: '^0.4.0',
        },
      };
      writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      copyFileSync(join(__dirname, 'consumers', consumer.source), join(dir, consumer.entry));
      installs.set(
        consumer.name,
        run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir, STEP_TIMEOUT_MS),
      );
    }
    await Promise.all(installs.values());
  }, 2 * STEP_TIMEOUT_MS);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs both builds with their module-type markers and no sources or tests', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/dist/cjs/package.json',
        'package/dist/cjs/index.js',
        'package/dist/cjs/index.d.ts',
        'package/dist/cjs/testing/index.js',
        'package/dist/esm/package.json',
        'package/dist/esm/index.js',
        'package/dist/esm/index.d.ts',
        'package/dist/esm/testing/index.js',
      ]),
    );
    expect(packedFiles.filter((f) => !/^package\/(dist\/(cjs|esm)\/|package\.json$|README\.md$|SECURITY\.md$|LICENSE)/.test(f))).toEqual([]);
  });

  it.each(CONSUMERS)(
    '$name: boots the module, round-trips a session on Valkey and exits on its own',
    async (consumer) => {
      const install = await installs.get(consumer.name)!;
      if (install.code !== 0) throw new Error(describeRun(`npm install (${consumer.name})`, install));

      const dir = join(work, consumer.name);
      const app = await run('node', [consumer.entry], dir, APP_TIMEOUT_MS, childEnv({ VALKEY_URL: testValkeyUrl() }));
      if (app.code !== 0) throw new Error(describeRun(`node ${consumer.entry} (${consumer.name})`, app));

      const line = app.output.split('\n').find((l) => l.startsWith(`${MARKER} `));
      expect(line).toBeDefined();
      const report = JSON.parse(line!.slice(MARKER.length + 1)) as { nest: string; resolved: string; packageFiles: string[] };
      expect(report.nest.split('.')[0]).toBe(consumer.nestRange.slice(1));
      expect(report.resolved).toBe(join(dir, 'node_modules/@axess/nestjs-session', consumer.build, 'index.js'));
      // The other build must not have been loaded next to it (two copies = two sets of DI tokens).
      expect(report.packageFiles.filter((f) => f.includes(`/${consumer.other}/`))).toEqual([]);
      if (consumer.type === 'commonjs') {
        expect(report.packageFiles).toContain(join(dir, 'node_modules/@axess/nestjs-session/dist/cjs/index.js'));
      }
    },
    STEP_TIMEOUT_MS,
  );
});
