// Builds the package twice from src/: CommonJS into dist/cjs and ES modules into dist/esm. Each
// output folder gets a package.json marker naming its module type, so that Node loads the .js
// files of each build in the right format whatever the root package.json says. With --sample it
// then compiles the sample app (sample/, tsconfig.sample.json) into dist/sample, against dist/cjs
// (`npm run sample` runs that build, then dist/sample/main.js).
//
// Two runs at once (two `npm run sample`, or an `npm pack` meanwhile) must never see a half-built
// dist/, so:
// - runs are serialised by a lock (the directory dist/.build.lock, made atomically; a lock left
//   by a run that died is taken over);
// - a part (the package, the sample) whose inputs are those of the build in place is not built
//   again (dist/.build-stamp holds the fingerprints of their inputs); --force builds anyway;
// - each output folder is written into a temporary folder beside it and swapped in with
//   rename(2): a reader sees the previous complete build or the new complete one (the old folder
//   is moved aside and the new one moved in by two consecutive renames, never rebuilt in place).
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
const withSample = process.argv.includes('--sample');

const dist = join(root, 'dist');
const lockDir = join(dist, '.build.lock');
const stampFile = join(dist, '.build-stamp');
const run = `${process.pid}-${randomBytes(4).toString('hex')}`;

/** Each part: its inputs, and its output folders (each with the tsconfig that compiles it). */
const parts = {
  package: {
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.esm.json'],
    outputs: [
      { dir: 'cjs', tsconfig: 'tsconfig.build.json', type: 'commonjs' },
      { dir: 'esm', tsconfig: 'tsconfig.esm.json', type: 'module' },
    ],
  },
  sample: {
    // src/ too: the sample is compiled against dist/cjs.
    inputs: ['sample', 'src', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.sample.json'],
    outputs: [{ dir: 'sample', tsconfig: 'tsconfig.sample.json' }],
  },
};

/** The fingerprint of a part's inputs (and of this script and TypeScript's version): any change makes its build stale. */
function fingerprint(part) {
  const hash = createHash('sha256');
  hash.update(`typescript ${require('typescript/package.json').version}\n`);
  const files = ['scripts/build.mjs'];
  for (const input of part.inputs) {
    if (!statSync(join(root, input)).isDirectory()) {
      files.push(input);
      continue;
    }
    for (const file of readdirSync(join(root, input), { recursive: true }).sort()) {
      const path = join(input, String(file));
      if (statSync(join(root, path)).isFile()) files.push(path);
    }
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
      const aside = `${lockDir}.dead-${run}`;
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

/** Beside the folder it replaces (same depth: the source maps' relative paths to the sources stay right). */
const scratchOf = (output) => join(dist, `.${output.dir}-build-${run}`);
const previousOf = (output) => join(dist, `.${output.dir}-previous-${run}`);

function fail(message, outputs) {
  console.error(message);
  for (const output of outputs) rmSync(scratchOf(output), { recursive: true, force: true });
  unlock();
  process.exit(1);
}

function readStamps() {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return {};
  }
}

function writeStamp(name, value) {
  const stamps = { ...readStamps(), [name]: value };
  writeFileSync(`${stampFile}.${run}`, `${JSON.stringify(stamps, null, 2)}\n`);
  renameSync(`${stampFile}.${run}`, stampFile);
}

/** Builds a part unless its build in place is up to date. */
function buildPart(name, check) {
  const part = parts[name];
  const inputs = fingerprint(part);
  const complete = part.outputs.every(({ dir }) => existsSync(join(dist, dir)));
  if (!force && complete && readStamps()[name] === inputs) {
    console.log(`${part.outputs.map(({ dir }) => `dist/${dir}`).join(' and ')} up to date (node scripts/build.mjs --force builds anyway)`);
    return;
  }
  for (const output of part.outputs) {
    const { dir, tsconfig, type } = output;
    console.log(`+ tsc -p ${tsconfig}  (${type ?? 'app'} -> dist/${dir})`);
    const result = spawnSync(process.execPath, [tsc, '-p', tsconfig, '--outDir', scratchOf(output)], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) fail(`build failed: tsc -p ${tsconfig} exited with ${result.status ?? result.signal}`, part.outputs);
    mkdirSync(scratchOf(output), { recursive: true });
    if (type) writeFileSync(join(scratchOf(output), 'package.json'), `${JSON.stringify({ type })}\n`);
  }
  const problem = check?.();
  if (problem) fail(problem, part.outputs);
  // The swap: each folder moved aside and the new one moved in, back to back; the old ones removed after.
  for (const output of part.outputs) {
    const target = join(dist, output.dir);
    if (existsSync(target)) renameSync(target, previousOf(output));
    renameSync(scratchOf(output), target);
  }
  writeStamp(name, inputs);
  for (const output of part.outputs) rmSync(previousOf(output), { recursive: true, force: true });
  console.log(`built ${part.outputs.map(({ dir }) => `dist/${dir}`).join(' and ')}`);
}

// Node's ESM loader needs full file names: a relative import without `.js` compiles (the ESM build
// resolves like a bundler) but fails when an app imports the package. Catch it here, by name.
function esmSuffixes() {
  const esm = scratchOf(parts.package.outputs[1]);
  const missingSuffix = [];
  for (const file of readdirSync(esm, { recursive: true })) {
    if (!file.endsWith('.js')) continue;
    const code = readFileSync(join(esm, file), 'utf8');
    for (const [, specifier] of code.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]*)['"]/g)) {
      if (!specifier.endsWith('.js')) missingSuffix.push(`dist/esm/${file}: '${specifier}'`);
    }
  }
  return missingSuffix.length > 0
    ? `build failed: relative imports need a .js suffix in src/ (ES modules):\n  ${missingSuffix.join('\n  ')}`
    : undefined;
}

lock();
buildPart('package', esmSuffixes);
if (withSample) buildPart('sample');
unlock();
