import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import * as ts from 'typescript';
import { childEnv, describeRun, npmInstall, REPO_ROOT, runOrThrow } from '../harness/packed-package';
import { copyAsEsmSources } from './esm-sources';

/**
 * The sample app (sample/) on NestJS 12 as an ES module app: the packed package and Nest 12
 * installed into a throwaway `"type": "module"` app, the sample's sources copied there at test
 * time and compiled to ES modules with the repo's TypeScript, then started with `node` as a child
 * process, as a user of Nest 12 would run it.
 */

/**
 * The Nest 12 line the sample runs on here, pinned in this one place (`npm view <name>
 * peerDependencies`: each peers on @nestjs/common ^12). Nest's platform packages are installed
 * whether the sample imports them or not: Nest loads platform-express itself by default.
 */
export const NEST12_PACKAGES: Readonly<Record<string, string>> = {
  '@nestjs/common': '12.5.1',
  '@nestjs/core': '12.5.1',
  '@nestjs/platform-express': '12.5.1',
  '@nestjs/platform-fastify': '12.5.0',
  '@nestjs/passport': '12.0.0',
  '@nestjs/graphql': '14.0.3',
  '@nestjs/apollo': '14.0.3',
  '@nestjs/mercurius': '14.0.0',
  '@nestjs/websockets': '12.1.1',
  '@nestjs/platform-ws': '12.1.1',
  // The ES module line that peers on Nest 12 (the repo develops with 11.x, on Nest 11).
  '@nestjs/terminus': '12.1.0',
};

/**
 * Installed besides what the sample imports: Nest's peers, passport for @nestjs/passport, the
 * GraphQL servers the drivers load (Apollo with its Express integration, Mercurius), Node's types for tsc.
 */
const ALWAYS_INSTALLED = [
  'reflect-metadata',
  'rxjs',
  'passport',
  '@apollo/server',
  '@as-integrations/express5',
  'mercurius',
  '@types/node',
];

/** The DefinitelyTyped package of `name` ('passport-local' -> '@types/passport-local', '@a/b' -> '@types/a__b'). */
const typesPackageOf = (name: string) => `@types/${name.replace(/^@/, '').replace('/', '__')}`;

/**
 * The app's manifest: the packed package, the pinned Nest 12 packages, and every other package
 * the sample imports (found in its sources, so a new import is picked up) at the version the repo
 * develops with, with its types package when the repo has one.
 */
function appManifest(
  tarball: string,
  imported: string[],
): {
  name: string;
  private: true;
  type: 'module';
  dependencies: Record<string, string>;
} {
  const repo = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const repoVersions: Record<string, string> = { ...repo.dependencies, ...repo.devDependencies };
  const dependencies: Record<string, string> = { ...NEST12_PACKAGES };
  const wanted = [...ALWAYS_INSTALLED, ...imported.filter((name) => name !== '@axess/nestjs-session')];
  wanted.push(...wanted.map(typesPackageOf).filter((name) => repoVersions[name] !== undefined));
  for (const name of wanted) {
    if (dependencies[name]) continue;
    const version = repoVersions[name];
    if (!version) {
      throw new Error(
        `the sample imports ${name}, which package.json does not list: add it there (or pin its Nest 12 version in NEST12_PACKAGES)`,
      );
    }
    dependencies[name] = version;
  }
  return {
    name: 'axess-sample-nest12',
    private: true,
    type: 'module',
    dependencies: { '@axess/nestjs-session': `file:${tarball}`, ...dependencies },
  };
}

/**
 * The compiler options: the repo's own (tsconfig.json: strictness, decorators with metadata,
 * target), with ES module output and resolution for a `"type": "module"` package and without
 * the repo's path mapping (the package resolves from node_modules, as in any app).
 */
function appTsconfig(): object {
  const read = ts.readConfigFile(join(REPO_ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const { paths: _paths, ...repoOptions } = (read.config as { compilerOptions: Record<string, unknown> }).compilerOptions;
  return {
    compilerOptions: {
      ...repoOptions,
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: ['node'],
      rootDir: 'src',
      outDir: 'dist',
      declaration: false,
      sourceMap: true,
    },
    include: ['src'],
  };
}

/** The throwaway Nest 12 app with the compiled sample in it. */
export interface Nest12SampleApp {
  dir: string;
  /** The compiled entry point: the sample's main.ts. */
  main: string;
}

/**
 * Creates the app in `dir`: installs the packed package (`tarball`) with Nest 12, copies the
 * sample's sources from sample/ as they are now, and compiles them to ES modules.
 */
export async function prepareNest12SampleApp(dir: string, tarball: string, timeoutMs: number): Promise<Nest12SampleApp> {
  mkdirSync(dir);
  const sources = copyAsEsmSources(join(REPO_ROOT, 'sample'), join(dir, 'src'));
  const manifest = appManifest(tarball, sources.packages);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(appTsconfig(), null, 2)}\n`);
  for (const file of ['preload.mjs', 'load-log.hooks.mjs']) copyFileSync(join(__dirname, 'child', file), join(dir, file));

  const install = await npmInstall(dir, timeoutMs);
  if (install.code !== 0) {
    const hint = install.output.includes('ERESOLVE')
      ? 'A package the sample imports does not accept Nest 12 as a peer at the version package.json pins: pin one that does in NEST12_PACKAGES, or do without it.\n'
      : '';
    throw new Error(hint + describeRun(`npm install (Nest 12 sample app: ${Object.keys(manifest.dependencies).join(', ')})`, install));
  }
  const tsc = require.resolve('typescript/bin/tsc');
  await runOrThrow('tsc (the sample as ES modules on Nest 12)', process.execPath, [tsc, '-p', 'tsconfig.json'], dir, timeoutMs);
  return { dir, main: join(dir, 'dist/main.js') };
}

/** A port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One line of the child's module load log. */
export interface LoadedModule {
  /** Node's format for it: 'module', 'commonjs', 'builtin', 'json', ... */
  format: string;
  url: string;
}

/** The sample running as a child process. */
export interface Nest12SampleProcess {
  /** http://127.0.0.1:port */
  url: string;
  /** Everything it printed so far. */
  output(): string;
  /** The modules Node's ES module loader has loaded in it so far. */
  loadedModules(): LoadedModule[];
  /** Sends SIGTERM (the sample then closes and exits) and resolves with how it exited; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

type SampleChild = ChildProcessByStdio<Writable, Readable, Readable>;

/** How to start the sample. */
export interface Nest12SampleStart {
  /** Its environment (VALKEY_URL, FASTIFY, MAX_SESSIONS, keys); PORT is chosen here. */
  env: Record<string, string>;
  /** Where the child's module load log goes. */
  loadLog: string;
  /** How long it may take to log that it listens. */
  readyTimeoutMs: number;
  /** Gets every process started, as soon as it exists: the caller stops them, whatever happens. */
  spawned(process: Nest12SampleProcess): void;
}

/**
 * Starts `node dist/main.js` (the sample's own entry point, configured through its environment)
 * on a free port and resolves once it logs that it is listening. Rejects with its output if it
 * exits first or stays silent for `readyTimeoutMs`.
 */
async function startOnce(app: Nest12SampleApp, start: Nest12SampleStart): Promise<Nest12SampleProcess> {
  const { env, loadLog: logFile } = start;
  const port = await freePort();
  rmSync(logFile, { force: true });
  // stdin stays an open pipe: preload.mjs ends the child when it closes (this process is gone).
  const child: SampleChild = spawn(process.execPath, ['--import', pathToFileURL(join(app.dir, 'preload.mjs')).href, app.main], {
    cwd: app.dir,
    // NO_COLOR: Nest's logger then prints plain text, which is what the wait below looks for.
    env: childEnv({ ...env, PORT: String(port), AXESS_LOAD_LOG: logFile, NO_COLOR: '1' }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      output += `\n${String(err)}`;
      resolve({ code: null, signal: null });
    });
  });
  const sampleProcess: Nest12SampleProcess = {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    loadedModules: () => {
      let text = '';
      try {
        text = readFileSync(logFile, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => ({ format: line.slice(0, line.indexOf(' ')), url: line.slice(line.indexOf(' ') + 1) }));
    },
    stop: async (graceMs = 10_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const how = await exited;
        clearTimeout(timer);
        return how;
      }
      return exited;
    },
  };
  start.spawned(sampleProcess);
  // main.ts logs this line once `app.listen` has resolved.
  const listening = `Listening on http://localhost:${port}`;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(listening)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((how) =>
        reject(new Error(`the Nest 12 sample exited with ${how.code ?? how.signal} before listening:\n${output.slice(-4000)}`)),
      );
      timer = setTimeout(
        () => reject(new Error(`the Nest 12 sample did not log '${listening}' within ${start.readyTimeoutMs} ms:\n${output.slice(-4000)}`)),
        start.readyTimeoutMs,
      );
    });
  } finally {
    clearTimeout(timer);
  }
  return sampleProcess;
}

/**
 * Starts the compiled sample on a free port. The port is picked just before the start, so
 * another process may take it meanwhile: then the sample is started again on another one.
 */
export async function startNest12Sample(app: Nest12SampleApp, start: Nest12SampleStart): Promise<Nest12SampleProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(app, start);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}
