import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, describeRun, npmInstall, packPackage, run, type RunResult } from '../harness/packed-package';
import { testValkeyUrl } from '../harness/valkey';

/**
 * The package as users get it: `npm pack` (its prepack script builds dist/cjs and dist/esm), the
 * tarball installed into a throwaway app per NestJS major, the module booted there on the suite's
 * Valkey. Nest 11 apps are CommonJS and must get dist/cjs; Nest 12 is ESM-only and must get
 * dist/esm. Everything happens in one temp dir that is removed afterwards. The build and pack run
 * on a staged copy of the package's sources, so the repo (and its dist/, which the sample app and
 * the benchmark use) is never touched, and two test runs in one tree cannot race on it.
 */

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
  {
    name: 'nest11-cjs',
    nestRange: '^11',
    type: 'commonjs',
    source: 'nest11-cjs.cjs',
    entry: 'main.cjs',
    build: 'dist/cjs',
    other: 'dist/esm',
  },
  {
    name: 'nest12-esm',
    nestRange: '^12',
    type: 'module',
    source: 'nest12-esm.mjs',
    entry: 'main.mjs',
    build: 'dist/esm',
    other: 'dist/cjs',
  },
];

/** The TypeScript app built from the README's "A complete minimal app" block, on Nest 11 (CommonJS). */
const README_APP = 'readme-nest11-ts';
const README_MARKER = 'AXESS_README_APP';

/** The first ```ts block under the README's "A complete minimal app" heading. */
function readmeMinimalApp(): string {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A complete minimal app'));
  const block = /```ts\n([\s\S]*?)\n```/.exec(section);
  if (!block) throw new Error('README.md has no ts block under "## A complete minimal app"');
  return block[1];
}

/** The dependencies of a TypeScript Nest 11 app with passport-local on Express, plus `extra`. */
function tsPassportApp(name: string, tarball: string, extra: Record<string, string> = {}): string {
  const manifest = {
    name: `axess-consumer-${name}`,
    private: true,
    dependencies: {
      '@axess/nestjs-session': `file:${tarball}`,
      '@nestjs/common': '^11',
      '@nestjs/core': '^11',
      '@nestjs/platform-express': '^11',
      '@nestjs/passport': '^11',
      passport: '^0.7.0',
      'passport-local': '^1.0.0',
      '@types/passport-local': '^1.0.38',
      '@types/node': '^20',
      'reflect-metadata': '^0.2.0',
      rxjs: '^7.8.0',
      iovalkey: '^0.4.0',
      typescript: '5.9.3',
      ...extra,
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Writes the README app: its module from README.md, plus a feature module, a type check and a driver. */
function writeReadmeApp(dir: string, tarball: string): void {
  writeFileSync(join(dir, 'package.json'), tsPassportApp(README_APP, tarball));
  const fixtures = join(__dirname, 'readme-app');
  cpSync(join(fixtures, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  mkdirSync(join(dir, 'src'));
  for (const file of ['feature.module.ts', 'root.module.ts', 'typecheck.ts', 'main.ts'])
    cpSync(join(fixtures, file), join(dir, 'src', file));
  writeFileSync(join(dir, 'src', 'app.module.ts'), `${readmeMinimalApp()}\n`);
}

/** The NestJS docs' passport session app, switched from express-session + connect-redis to axess (test/package/tutorial-app). */
const TUTORIAL_APP = 'tutorial-nest11-ts';
const TUTORIAL_MARKER = 'AXESS_TUTORIAL_APP';

/** Writes the tutorial app with both versions of its wiring (src/before, src/after) and its driver. */
function writeTutorialApp(dir: string, tarball: string): void {
  const extra = {
    '@nestjs/platform-fastify': '^11',
    '@nestjs/websockets': '^11',
    '@nestjs/platform-socket.io': '^11',
    'socket.io-client': '^4.8.0',
    'express-session': '^1.19.0',
    'connect-redis': '^9.0.0',
    redis: '^5.9.0',
    '@types/express-session': '^1.19.0',
  };
  writeFileSync(join(dir, 'package.json'), tsPassportApp(TUTORIAL_APP, tarball, extra));
  cpSync(join(__dirname, 'tutorial-app'), dir, { recursive: true });
}

describe('the packed package in consumer apps', () => {
  let work: string;
  let packedFiles: string[] = [];
  const installs = new Map<string, Promise<RunResult>>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'axess-consumers-'));
    const { tarball, files } = await packPackage(work, STEP_TIMEOUT_MS);
    packedFiles = files;

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
      installs.set(consumer.name, npmInstall(dir, STEP_TIMEOUT_MS));
    }
    const readmeDir = join(work, README_APP);
    mkdirSync(readmeDir);
    writeReadmeApp(readmeDir, tarball);
    installs.set(README_APP, npmInstall(readmeDir, STEP_TIMEOUT_MS));
    const tutorialDir = join(work, TUTORIAL_APP);
    mkdirSync(tutorialDir);
    writeTutorialApp(tutorialDir, tarball);
    installs.set(TUTORIAL_APP, npmInstall(tutorialDir, STEP_TIMEOUT_MS));
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
        'package/dist/cjs/terminus/index.js',
        'package/dist/cjs/terminus/index.d.ts',
        'package/dist/cjs/ws/index.js',
        'package/dist/cjs/ws/index.d.ts',
        'package/dist/cjs/socket-io/index.js',
        'package/dist/cjs/socket-io/index.d.ts',
        'package/dist/esm/package.json',
        'package/dist/esm/index.js',
        'package/dist/esm/index.d.ts',
        'package/dist/esm/testing/index.js',
        'package/dist/esm/terminus/index.js',
        'package/dist/esm/terminus/index.d.ts',
        'package/dist/esm/ws/index.js',
        'package/dist/esm/ws/index.d.ts',
        'package/dist/esm/socket-io/index.js',
        'package/dist/esm/socket-io/index.d.ts',
      ]),
    );
    expect(packedFiles.filter((f) => !/^package\/(dist\/(cjs|esm)\/|package\.json$|README\.md$|SECURITY\.md$|LICENSE)/.test(f))).toEqual(
      [],
    );
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

  it(
    "the README's minimal app compiles (its typed session data refuses set('cart', 42)), boots with a guard in a feature module, keeps an in-place push and applies a cap function",
    async () => {
      const install = await installs.get(README_APP)!;
      if (install.code !== 0) throw new Error(describeRun(`npm install (${README_APP})`, install));
      const dir = join(work, README_APP);
      const compiled = await run(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], dir, STEP_TIMEOUT_MS);
      if (compiled.code !== 0) throw new Error(describeRun('tsc (README app)', compiled));

      const app = await run('node', ['dist/main.js'], dir, APP_TIMEOUT_MS, childEnv({ VALKEY_URL: testValkeyUrl() }));
      if (app.code !== 0) throw new Error(describeRun('node dist/main.js (README app)', app));
      const line = app.output.split('\n').find((l) => l.startsWith(`${README_MARKER} `));
      expect(line).toBeDefined();
      const seen = JSON.parse(line!.slice(README_MARKER.length + 1)) as Record<string, unknown>;
      expect(seen).toEqual({
        loginStatus: 201,
        secureCookie: true,
        me: { userId: 'alice' },
        wrongPassword: 401,
        cart: { items: ['apple'] },
        pushInPlace: 201,
        cartAfterPush: { items: ['apple', 'pear'] },
        capFunction: { firstRoot: 401, secondRoot: 200, firstCarol: 200, secondCarol: 200 },
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "the NestJS docs' passport session app: switched from express-session by its module and main.ts alone, it keeps every user signed in and works unchanged (socket.io on two instances, @Session() on Fastify too)",
    async () => {
      const install = await installs.get(TUTORIAL_APP)!;
      if (install.code !== 0) throw new Error(describeRun(`npm install (${TUTORIAL_APP})`, install));
      const dir = join(work, TUTORIAL_APP);
      const compiled = await run(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], dir, STEP_TIMEOUT_MS);
      if (compiled.code !== 0) throw new Error(describeRun('tsc (tutorial app)', compiled));
      // A database of its own on the suite's Valkey: connect-redis's default `sess:` keys are counted.
      const url = `${testValkeyUrl()}/7`;
      const app = await run('node', ['dist/drive.js'], dir, APP_TIMEOUT_MS, childEnv({ VALKEY_URL: url }));
      if (app.code !== 0) throw new Error(describeRun('node dist/drive.js (tutorial app)', app));
      const line = app.output.split('\n').find((l) => l.startsWith(`${TUTORIAL_MARKER} `));
      expect(line).toBeDefined();
      const seen = JSON.parse(line!.slice(TUTORIAL_MARKER.length + 1)) as Record<string, unknown>;
      const kept = { status: 200, axessCookie: true, legacyCookieCleared: true };
      expect(seen).toEqual({
        legacyProfiles: [200, 200, 200, 200, 200],
        legacyKeys: 6,
        firstRequestAfterSwitch: [
          { ...kept, user: 'john' },
          { ...kept, user: 'john' },
          { ...kept, user: 'john' },
          { ...kept, user: 'john' },
          { ...kept, user: 'maria' },
        ],
        keptSignedIn: 5,
        signedInBefore: 5,
        importedJohn: [
          { statusCode: 401, message: 'Unauthorized', reason: 'evicted:newer-sign-in' },
          { userId: '1' },
          { userId: '1' },
          { userId: '1' },
        ],
        legacyReplay: 403,
        visitorViews: { views: 3 },
        legacyKeysLeft: 0,
        freshProfile: { userId: 2, username: 'maria' },
        evicted: { status: 401, reason: 'evicted:newer-sign-in' },
        mariaDevices: 3,
        counter: [{ views: 1 }, { views: 2 }],
        afterLogout: { profile: 403, devices: 2 },
        socketWithoutSession: { statusCode: 401, reason: 'unauthenticated' },
        socketSignedIn: { userId: '2' },
        socketAfterRevokeElsewhere: { reason: 'revoked', disconnectedWithinOneSecond: true },
        fastifyViews: [{ views: 1 }, { views: 2 }],
      });
    },
    STEP_TIMEOUT_MS,
  );
});
