import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'asvs.md'), 'utf8');

/** The requirement rows of docs/asvs.md: `| 7.2.4 | 1 | fails | library | how | proved by |`. */
const rows = doc
  .split('\n')
  .filter((line) => /^\| \d+\.\d+\.\d+ \|/.test(line))
  .map((line) => {
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    return { id: cells[0], level: cells[1], before: cells[2], meets: cells[3], how: cells[4], provedBy: cells[5] };
  });

describe('docs/asvs.md, the ASVS requirement map', () => {
  it('has a row for each requirement, with a level, a status at 0.1.0 and how it is met now', () => {
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect({ id: row.id, level: /^[123](–3)?$/.test(row.level) }).toEqual({ id: row.id, level: true });
      expect(['meets', 'partial', 'fails', 'n/a']).toContain(row.before);
      expect(['library', 'library + app', 'app']).toContain(row.meets);
      expect(row.how.length).toBeGreaterThan(5);
    }
  });

  it('names, for every requirement the library meets, a test file that exists and a test in it', () => {
    const missing: string[] = [];
    for (const row of rows.filter((r) => r.meets !== 'app')) {
      const proof = /^`(test\/[^`]+\.spec\.ts)` › "([^"]+)"$/.exec(row.provedBy);
      if (!proof) {
        missing.push(`${row.id}: no test named`);
        continue;
      }
      const [, file, title] = proof;
      const path = join(ROOT, file);
      if (!existsSync(path)) missing.push(`${row.id}: ${file} does not exist`);
      else if (!readFileSync(path, 'utf8').includes(title)) missing.push(`${row.id}: no test "${title}" in ${file}`);
    }
    expect(missing).toEqual([]);
  });
});
