// Builds the package twice from src/: CommonJS into dist/cjs and ES modules into dist/esm. Each
// output folder gets a package.json marker naming its module type, so that Node loads the .js
// files of each build in the right format whatever the root package.json says.
//
// Two runs at once (two `npm run sample`, or an `npm pack` meanwhile) must never see a half-built
// dist/, so:
// - runs are serialised by a lock (the directory dist/.build.lock, made atomically; a lock left
//   by a run that died is taken over);
// - a run whose inputs (src/, the tsconfig files, this script, TypeScript's version) are those of
//   the build in place skips the build (dist/.build-stamp holds their fingerprint); --force builds anyway;
// - the build is written into temporary folders beside them and each output folder is swapped
//   in with rename(2): a reader sees the previous complete build or the new complete one (each
//   folder is moved aside and the new one moved in by two consecutive renames, not by a rebuild in place).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const force = process.argv.includes('--force');

const dist = join(root, 'dist');
const lockDir = join(dist, '.build.lock');
const stampFile = join(dist, '.build-stamp');
const builds = [
  { dir: 'cjs', tsconfig: 'tsconfig.build.json', type: 'commonjs' },
  { dir: 'esm', tsconfig: 'tsconfig.esm.json', type: 'module' },
];

/** What the build reads: a change to any of these makes the build in place stale. */
function fingerprint() {
  const hash = createHash('sha256');
  hash.update(`typescript ${require('typescript/package.json').version}\n`);
  const files = ['tsconfig.json', 'tsconfig.build.json', 'tsconfig.esm.json', 'scripts/build.mjs'];
  for (const file of readdirSync(join(root, 'src'), { recursive: true }).sort()) {
    const path = join('src', String(file));
    if (statSync(join(root, path)).isFile()) files.push(path);
  }
  for (const file of files) {
    hash.update(`${file}\n`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\n');
  }
  return hash.digest('hex');
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Takes the lock, waiting for another run to finish (up to 10 minutes); a dead run's lock is taken over. */
function lock() {
  mkdirSync(dist, { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  let waited = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let owner;
    try {
      owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    } catch {
      owner = undefined; // being made or removed this very moment
    }
    if (owner && !alive(owner)) {
      // Moved aside first: of two runs finding the same dead lock, one takes it over.
      const aside = `${lockDir}.dead-${process.pid}`;
      try {
        renameSync(lockDir, aside);
        rmSync(aside, { recursive: true, force: true });
      } catch {
        // the other run did
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`build: ${lockDir} has been held for 10 minutes (by pid ${owner}).`);
    if (!waited) console.log('build: another build is running; waiting for it.');
    waited = true;
    sleep(200);
  }
}

function unlock() {
  rmSync(lockDir, { recursive: true, force: true });
}

function fail(message) {
  console.error(message);
  for (const { scratch } of builds) rmSync(scratch, { recursive: true, force: true });
  unlock();
  process.exit(1);
}

lock();
const inputs = fingerprint();
const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : undefined;
if (!force && current === inputs && builds.every(({ dir }) => existsSync(join(dist, dir, 'index.js')))) {
  unlock();
  console.log('dist/cjs and dist/esm are up to date with src/ (node scripts/build.mjs --force builds anyway)');
  process.exit(0);
}

// Beside the folders they replace (same depth: the source maps' relative paths to src/ stay right).
const run = `${process.pid}-${randomBytes(4).toString('hex')}`;
for (const build of builds) {
  build.scratch = join(dist, `.${build.dir}-build-${run}`);
  build.previous = join(dist, `.${build.dir}-previous-${run}`);
}
for (const { dir, tsconfig, type, scratch } of builds) {
  console.log(`+ tsc -p ${tsconfig}  (${type} -> dist/${dir})`);
  const result = spawnSync(process.execPath, [tsc, '-p', tsconfig, '--outDir', scratch], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`build failed: tsc -p ${tsconfig} exited with ${result.status ?? result.signal}`);
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, 'package.json'), `${JSON.stringify({ type })}\n`);
}
// Node's ESM loader needs full file names: a relative import without `.js` compiles (the ESM build
// resolves like a bundler) but fails when an app imports the package. Catch it here, by name.
const missingSuffix = [];
const esm = builds.find(({ dir }) => dir === 'esm').scratch;
for (const file of readdirSync(esm, { recursive: true })) {
  if (!file.endsWith('.js')) continue;
  const code = readFileSync(join(esm, file), 'utf8');
  for (const [, specifier] of code.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]*)['"]/g)) {
    if (!specifier.endsWith('.js')) missingSuffix.push(`dist/esm/${file}: '${specifier}'`);
  }
}
if (missingSuffix.length > 0) {
  fail(`build failed: relative imports need a .js suffix in src/ (ES modules):\n  ${missingSuffix.join('\n  ')}`);
}

// The swap: each folder moved aside and the new one moved in, back to back; the old ones removed after.
for (const { dir, scratch, previous } of builds) {
  const target = join(dist, dir);
  if (existsSync(target)) renameSync(target, previous);
  renameSync(scratch, target);
}
writeFileSync(`${stampFile}.${run}`, `${inputs}\n`);
renameSync(`${stampFile}.${run}`, stampFile);
for (const { previous } of builds) rmSync(previous, { recursive: true, force: true });
unlock();
console.log('built dist/cjs and dist/esm');
