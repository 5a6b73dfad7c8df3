import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyAsEsmSources, withEsmSpecifiers } from './esm-sources';

/** The copy step of the Nest 12 sample run: relative imports spelled for Node's ES module loader. */
describe('withEsmSpecifiers / copyAsEsmSources', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'axess-esm-sources-'));
    mkdirSync(join(dir, 'auth'));
    mkdirSync(join(dir, 'web'));
    writeFileSync(join(dir, 'auth/users.service.ts'), 'export class UsersService {}\n');
    writeFileSync(join(dir, 'web/index.ts'), "export * from './page';\n");
    writeFileSync(join(dir, 'web/page.ts'), 'export const page = 1;\n');
    writeFileSync(join(dir, 'types.d.ts'), 'export type X = 1;\n');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds .js to a relative import of a .ts file and /index.js to one of a folder, in every import form', () => {
    const source = [
      "import { UsersService } from './auth/users.service';",
      'import type { page } from "./web";',
      "export * from './web/page';",
      "export { UsersService as Users } from './auth/users.service';",
      "import './web/page';",
      "const lazy = () => import('./web/page');",
      "type Lazy = import('./auth/users.service').UsersService;",
      '',
    ].join('\n');
    writeFileSync(join(dir, 'main.ts'), source);
    expect(withEsmSpecifiers(join(dir, 'main.ts')).source).toBe(
      [
        "import { UsersService } from './auth/users.service.js';",
        'import type { page } from "./web/index.js";',
        "export * from './web/page.js';",
        "export { UsersService as Users } from './auth/users.service.js';",
        "import './web/page.js';",
        "const lazy = () => import('./web/page.js');",
        "type Lazy = import('./auth/users.service.js').UsersService;",
        '',
      ].join('\n'),
    );
  });

  it("resolves ../ from the importing file's folder and leaves packages, builtins, .js imports and look-alike strings alone", () => {
    const source = [
      "import { Injectable } from '@nestjs/common';",
      "import { randomBytes } from 'node:crypto';",
      "import { Strategy } from 'passport-local';",
      "import { UsersService } from '../auth/users.service';",
      "import { page } from './page.js';",
      "const text = './page';",
      '',
    ].join('\n');
    writeFileSync(join(dir, 'web/form.ts'), source);
    const { source: out, packages } = withEsmSpecifiers(join(dir, 'web/form.ts'));
    expect(out).toBe(source.replace("'../auth/users.service'", "'../auth/users.service.js'"));
    expect(packages.sort()).toEqual(['@nestjs/common', 'passport-local']);
  });

  it('refuses a relative import that names no source file instead of guessing', () => {
    writeFileSync(join(dir, 'broken.ts'), "import { gone } from './gone';\n");
    expect(() => withEsmSpecifiers(join(dir, 'broken.ts'))).toThrow(/'\.\/gone' names no \.ts file/);
  });

  it('copies every .ts source (not .d.ts) to the same place and reports the packages they import', () => {
    writeFileSync(
      join(dir, 'main.ts'),
      "import { Module } from '@nestjs/common/decorators';\nimport { UsersService } from './auth/users.service';\n",
    );
    const out = join(dir, 'out');
    const copied = copyAsEsmSources(dir, out);
    expect(copied.files).toEqual(['auth/users.service.ts', 'main.ts', 'web/index.ts', 'web/page.ts']);
    expect(copied.packages).toEqual(['@nestjs/common']);
    expect(readFileSync(join(out, 'main.ts'), 'utf8')).toContain("from './auth/users.service.js'");
    expect(readFileSync(join(out, 'web/index.ts'), 'utf8')).toBe("export * from './page.js';\n");
  });
});
