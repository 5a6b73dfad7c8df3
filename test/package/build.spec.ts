import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, REPO_ROOT, stagePackage } from '../harness/packed-package';

/** `node scripts/build.mjs` in `dir`, to its end: its exit code and output. */
function build(dir: string, ...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/build.mjs', ...args], { cwd: dir, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The files under `dir`, sorted; undefined when it does not exist. */
function listing(dir: string): string[] | undefined {
  try {
    return readdirSync(dir, { recursive: true }).map(String).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * What a reader of dist/ (a starting sample, `npm pack`) sees while builds run: the folders are
 * polled every millisecond and each look is compared with a complete build's file list.
 * `missing` counts looks that found a folder absent; `missingAgain` those that found it absent at
 * the look before too. A swap moves the old folder aside and the new one in by two consecutive
 * renames (Node has no atomic directory exchange, and `npm pack` does not follow a symlinked
 * folder), so a look may fall between them, once; a folder rebuilt in place is absent for seconds.
 * `straddled` counts looks whose listing a swap overtook mid-walk (complete when looked at again).
 */
function watchDist(dist: string, complete: Partial<Record<'cjs' | 'esm' | 'sample', string[]>>) {
  const seen = { looks: 0, halfBuilt: [] as string[], missing: 0, missingAgain: 0, straddled: 0 };
  const folders = Object.keys(complete) as Array<keyof typeof complete>;
  const absentBefore = new Set<string>();
  const timer = setInterval(() => {
    seen.looks++;
    for (const folder of folders) {
      const files = listing(join(dist, folder));
      if (files === undefined) {
        seen.missing++;
        if (absentBefore.has(folder)) seen.missingAgain++;
        absentBefore.add(folder);
        continue;
      }
      absentBefore.delete(folder);
      const whole = complete[folder]!.join('\n');
      if (files.join('\n') === whole) continue;
      // A recursive listing is many reads: one that a swap's renames overtook mid-walk mixes the
      // two trees. Looked at again at once, a folder swapped whole is complete; one being
      // rebuilt in place is not.
      if (listing(join(dist, folder))?.join('\n') === whole) seen.straddled++;
      else seen.halfBuilt.push(`dist/${folder}: ${files.length} of ${complete[folder]!.length} files`);
    }
  }, 1);
  return { seen, stop: () => clearInterval(timer) };
}

/**
 * scripts/build.mjs (`npm run build`, the first step of `npm run sample`, and `prepack`) in a
 * staged copy of the package: two runs at once, or a run while something reads dist/, never
 * expose a half-built dist/cjs or dist/esm, and a run with nothing to do leaves dist/ alone.
 */
describe('scripts/build.mjs', () => {
  let work: string;
  let dir: string;
  let dist: string;
  let complete: Record<'cjs' | 'esm', string[]>;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'axess-build-'));
    dir = join(work, 'package');
    stagePackage(dir);
    // And the sample, for `--sample` (what `npm run sample` runs).
    cpSync(join(REPO_ROOT, 'sample'), join(dir, 'sample'), { recursive: true });
    cpSync(join(REPO_ROOT, 'tsconfig.sample.json'), join(dir, 'tsconfig.sample.json'));
    dist = join(dir, 'dist');
    const first = await build(dir);
    expect(first).toMatchObject({ code: 0 });
    complete = { cjs: listing(join(dist, 'cjs'))!, esm: listing(join(dist, 'esm'))! };
    expect(complete.cjs).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'package.json', 'testing/index.js']));
    expect(complete.esm).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'package.json', 'testing/index.js']));
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a run with src/ unchanged skips the build and leaves dist/ as it was', async () => {
    const before = statSync(join(dist, 'cjs', 'index.js')).mtimeMs;
    const again = await build(dir);
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/up to date/);
    expect(statSync(join(dist, 'cjs', 'index.js')).mtimeMs).toBe(before);
  });

  it('two runs at once after a change: dist/ is complete at every look, one run builds and the other finds it built', async () => {
    appendFileSync(join(dir, 'src', 'index.ts'), '\n// changed for the concurrent-build test\n');
    const watcher = watchDist(dist, complete);
    const runs = await Promise.all([build(dir), build(dir)]);
    watcher.stop();
    console.log(
      `two concurrent builds: ${watcher.seen.looks} looks at dist/, ${watcher.seen.halfBuilt.length} half-built, ${watcher.seen.straddled} overtaken by a swap mid-listing, ${watcher.seen.missing} with a folder missing (${watcher.seen.missingAgain} twice in a row)`,
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(watcher.seen.halfBuilt).toEqual([]);
    expect(watcher.seen.missingAgain).toBe(0);
    expect(runs.filter((r) => /built dist\/cjs and dist\/esm/.test(r.output))).toHaveLength(1);
    expect(runs.filter((r) => /up to date/.test(r.output))).toHaveLength(1);
    for (const folder of ['cjs', 'esm'] as const) {
      expect(listing(join(dist, folder))).toEqual(complete[folder]);
      expect(readFileSync(join(dist, folder, 'index.js'), 'utf8')).toContain('changed for the concurrent-build test');
    }
    // Nothing left behind: no lock, no temporary folder.
    expect(readdirSync(dist).sort()).toEqual(['.build-stamp', 'cjs', 'esm']);
  }, 300_000);

  it('two forced runs at once each build and swap: dist/ is complete at every look', async () => {
    const watcher = watchDist(dist, complete);
    const runs = await Promise.all([build(dir, '--force'), build(dir, '--force')]);
    watcher.stop();
    console.log(
      `two concurrent forced builds: ${watcher.seen.looks} looks at dist/, ${watcher.seen.halfBuilt.length} half-built, ${watcher.seen.straddled} overtaken by a swap mid-listing, ${watcher.seen.missing} with a folder missing (${watcher.seen.missingAgain} twice in a row)`,
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(runs.filter((r) => /built dist\/cjs and dist\/esm/.test(r.output))).toHaveLength(2);
    expect(watcher.seen.halfBuilt).toEqual([]);
    expect(watcher.seen.missingAgain).toBe(0);
    expect(readdirSync(dist).sort()).toEqual(['.build-stamp', 'cjs', 'esm']);
  }, 300_000);

  it('--sample (npm run sample): two runs at once after a change to sample/ leave dist/sample complete at every look; one compiles it', async () => {
    const first = await build(dir, '--sample');
    expect(first.output).toMatch(/dist\/cjs and dist\/esm up to date/);
    expect(first.output).toMatch(/built dist\/sample/);
    const sample = listing(join(dist, 'sample'))!;
    expect(sample).toEqual(expect.arrayContaining(['main.js', 'sample.app.js', 'auth/sign-in-attempts.js']));
    appendFileSync(join(dir, 'sample', 'main.ts'), '\n// changed for the concurrent-build test\n');
    const watcher = watchDist(dist, { ...complete, sample });
    const runs = await Promise.all([build(dir, '--sample'), build(dir, '--sample')]);
    watcher.stop();
    console.log(
      `two concurrent sample builds: ${watcher.seen.looks} looks at dist/, ${watcher.seen.halfBuilt.length} half-built, ${watcher.seen.straddled} overtaken by a swap mid-listing, ${watcher.seen.missing} with a folder missing (${watcher.seen.missingAgain} twice in a row)`,
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(watcher.seen.halfBuilt).toEqual([]);
    expect(watcher.seen.missingAgain).toBe(0);
    expect(runs.filter((r) => /built dist\/sample/.test(r.output))).toHaveLength(1);
    expect(runs.filter((r) => /dist\/sample up to date/.test(r.output))).toHaveLength(1);
    expect(readFileSync(join(dist, 'sample', 'main.js'), 'utf8')).toContain('changed for the concurrent-build test');
    expect(readdirSync(dist).sort()).toEqual(['.build-stamp', 'cjs', 'esm', 'sample']);
    // A change to the package makes the sample stale too (it is compiled against dist/cjs).
    appendFileSync(join(dir, 'src', 'index.ts'), '\n// changed again\n');
    const again = await build(dir, '--sample');
    expect(again.output).toMatch(/built dist\/cjs and dist\/esm/);
    expect(again.output).toMatch(/built dist\/sample/);
  }, 300_000);

  it('a failing build leaves the previous build in place and no lock behind', async () => {
    const index = readFileSync(join(dist, 'cjs', 'index.js'), 'utf8');
    appendFileSync(join(dir, 'src', 'index.ts'), '\nexport const broken: number = "not a number";\n');
    const failed = await build(dir);
    expect(failed.code).not.toBe(0);
    expect(readFileSync(join(dist, 'cjs', 'index.js'), 'utf8')).toBe(index);
    expect(listing(join(dist, 'esm'))).toEqual(complete.esm);
    expect(existsSync(join(dist, '.build.lock'))).toBe(false);
    expect(readdirSync(dist).sort()).toEqual(['.build-stamp', 'cjs', 'esm', 'sample']);
  }, 300_000);
});
