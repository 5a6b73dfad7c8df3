import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
});
