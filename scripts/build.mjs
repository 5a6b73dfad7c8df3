// Builds the package twice from src/: CommonJS into dist/cjs and ES modules into dist/esm. Each
// output folder gets a package.json marker naming its module type, so that Node loads the .js
// files of each build in the right format whatever the root package.json says.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const builds = [
  { dir: 'dist/cjs', tsconfig: 'tsconfig.build.json', type: 'commonjs' },
  { dir: 'dist/esm', tsconfig: 'tsconfig.esm.json', type: 'module' },
];

for (const { dir } of builds) rmSync(join(root, dir), { recursive: true, force: true });

for (const { dir, tsconfig, type } of builds) {
  console.log(`+ tsc -p ${tsconfig}  (${type} -> ${dir})`);
  const result = spawnSync(process.execPath, [tsc, '-p', tsconfig], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build failed: tsc -p ${tsconfig} exited with ${result.status ?? result.signal}`);
    process.exit(1);
  }
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, dir, 'package.json'), `${JSON.stringify({ type })}\n`);
}
// Node's ESM loader needs full file names: a relative import without `.js` compiles (the ESM build
// resolves like a bundler) but fails when an app imports the package. Catch it here, by name.
const missingSuffix = [];
for (const file of readdirSync(join(root, 'dist/esm'), { recursive: true })) {
  if (!file.endsWith('.js')) continue;
  const code = readFileSync(join(root, 'dist/esm', file), 'utf8');
  for (const [, specifier] of code.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]*)['"]/g)) {
    if (!specifier.endsWith('.js')) missingSuffix.push(`dist/esm/${file}: '${specifier}'`);
  }
}
if (missingSuffix.length > 0) {
  console.error(`build failed: relative imports need a .js suffix in src/ (ES modules):\n  ${missingSuffix.join('\n  ')}`);
  process.exit(1);
}
console.log('built dist/cjs and dist/esm');
