import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const TEST_ROOT = join(__dirname, '..');

/** Every `*.spec.ts` under test/, as a path relative to it (node_modules of fixtures left out). */
function specFiles(dir = TEST_ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return specFiles(path);
    return name.endsWith('.spec.ts') ? [relative(TEST_ROOT, path).split('\\').join('/')] : [];
  });
}

/** The spec files test/README.md links, in order. */
function mapped(): string[] {
  const text = readFileSync(join(TEST_ROOT, 'README.md'), 'utf8');
  return [...text.matchAll(/^- \[([^\]]+\.spec\.ts)\]\(([^)]+)\)$/gm)].map(([, label, target]) => {
    expect(target).toBe(label);
    return label;
  });
}

describe('test/README.md, the map of the tests by feature', () => {
  it('lists every spec file under test/', () => {
    const listed = new Set(mapped());
    expect(specFiles().filter((file) => !listed.has(file))).toEqual([]);
  });

  it('lists each spec file once, and only files that exist', () => {
    const listed = mapped();
    expect(listed.filter((file, index) => listed.indexOf(file) !== index)).toEqual([]);
    const existing = new Set(specFiles());
    expect(listed.filter((file) => !existing.has(file))).toEqual([]);
  });
});
