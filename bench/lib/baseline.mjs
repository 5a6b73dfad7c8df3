// A baseline for the end-to-end bench: the sample app as it was at an earlier commit, built in a
// folder of its own, so that `--baseline REF` measures a change side by side with the code before
// it, in the same run and on the same machine (e.g. "did `GET /me` get slower?").
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

/** The built sample a baseline app loads (the path `e2e/serve.mjs` requires under its root). */
const SAMPLE_ENTRY = 'dist/bench/sample/sample.app.js';

/**
 * Exports `ref` of the repository at `root` into a temporary folder (reused when already built),
 * links this checkout's node_modules into it and builds the package and the sample there as
 * `npm run bench` does. Returns `{ ref, short, dir }`.
 */
export function prepareBaseline(root, ref, log) {
  const git = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();
  let sha;
  try {
    sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  } catch {
    throw new Error(`--baseline ${ref}: not a commit of this repository`);
  }
  const short = sha.slice(0, 8);
  const dir = join(os.tmpdir(), `axess-bench-at-${short}`);
  if (existsSync(join(dir, SAMPLE_ENTRY))) {
    log(`baseline ${ref} (${short}): reusing the build in ${dir}`);
    linkNodeModules(root, dir);
    return { ref, short, dir };
  }
  log(`baseline ${ref} (${short}): exporting and building in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // `git archive` writes the commit's tree only: no .git, nothing of the current work tree.
  execSync(`git -C '${root}' archive ${sha} | tar -x -C '${dir}'`, { stdio: ['ignore', 'ignore', 'inherit'] });
  linkNodeModules(root, dir);
  const run = (command, args) => execFileSync(command, args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  run(process.execPath, ['scripts/build.mjs']);
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.bench.json']);
  if (!existsSync(join(dir, SAMPLE_ENTRY))) throw new Error(`--baseline ${ref}: the build has no ${SAMPLE_ENTRY}`);
  return { ref, short, dir };
}

/** Links this checkout's node_modules into `dir`, again when a reused build's link leads nowhere (its checkout was removed). */
function linkNodeModules(root, dir) {
  const link = join(dir, 'node_modules');
  if (existsSync(link)) return;
  rmSync(link, { force: true });
  symlinkSync(join(root, 'node_modules'), link, 'dir');
}
