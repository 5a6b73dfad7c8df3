import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import * as ts from 'typescript';

/**
 * The sample's relative imports have no file extension ('./auth/users.service'): fine for
 * CommonJS and for `nest start`, but Node's ES module loader wants full file names, and tsc
 * (module NodeNext in a `"type": "module"` package) refuses such imports and never adds the
 * extension itself. So the sources are copied with each relative module specifier spelled the way
 * ES modules need it: `./x` -> `./x.js` when `x.ts` exists, `./x/index.js` when `x/index.ts`
 * does. The specifiers are found with TypeScript's parser (import and export declarations,
 * `import()` calls, `import('./x').T` types, `import x = require('./x')`), not with a regex, and a
 * relative specifier that names no source file fails the copy instead of being guessed at.
 */

/** The module specifier string literals of `file`, in source order. */
function moduleSpecifiers(file: ts.SourceFile): ts.StringLiteralLike[] {
  const found: ts.StringLiteralLike[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteralLike(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteralLike(node.argument.literal)) {
      found.push(node.argument.literal);
    } else if (ts.isExternalModuleReference(node) && ts.isStringLiteralLike(node.expression)) {
      found.push(node.expression);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The npm package a bare specifier names ('@nestjs/common/x' -> '@nestjs/common'), or undefined for a relative one or a Node builtin. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtinModules.includes(name) ? undefined : name;
}

/** `specifier` as an ES module import from `fromFile`, or the specifier itself if it is not relative. */
function esmSpecifier(specifier: string, fromFile: string): string {
  if (!/^\.{1,2}(\/|$)/.test(specifier)) return specifier;
  if (/\.(m|c)?js$/.test(specifier)) return specifier;
  const target = join(dirname(fromFile), specifier);
  const base = specifier.replace(/\/$/, '');
  if (existsSync(`${target}.ts`)) return `${base}.js`;
  if (existsSync(join(target, 'index.ts'))) return `${base}/index.js`;
  throw new Error(`${fromFile}: the relative import '${specifier}' names no .ts file or folder with an index.ts`);
}

/**
 * The source of `path` with every relative module specifier rewritten for ES modules, and the
 * npm packages it imports.
 */
export function withEsmSpecifiers(path: string, source = readFileSync(path, 'utf8')): { source: string; packages: string[] } {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const packages = new Set<string>();
  let out = '';
  let at = 0;
  for (const literal of moduleSpecifiers(file)) {
    const name = packageOf(literal.text);
    if (name) packages.add(name);
    const rewritten = esmSpecifier(literal.text, path);
    if (rewritten === literal.text) continue;
    // Keep the literal's own quote character; only the text between the quotes changes.
    const start = literal.getStart(file) + 1;
    const end = literal.getEnd() - 1;
    out += source.slice(at, start) + rewritten;
    at = end;
  }
  return { source: out + source.slice(at), packages: [...packages] };
}

/** What {@link copyAsEsmSources} copied. */
export interface CopiedSources {
  /** The files copied, relative to the source folder. */
  files: string[];
  /** The npm packages they import (Node builtins excluded). */
  packages: string[];
}

/** Copies every `.ts` file under `from` to the same place under `to`, rewritten for ES modules. */
export function copyAsEsmSources(from: string, to: string): CopiedSources {
  const files: string[] = [];
  const packages = new Set<string>();
  for (const entry of readdirSync(from, { recursive: true }) as string[]) {
    const path = join(from, entry);
    if (!entry.endsWith('.ts') || entry.endsWith('.d.ts') || !statSync(path).isFile()) continue;
    const target = join(to, entry);
    mkdirSync(dirname(target), { recursive: true });
    const copied = withEsmSpecifiers(path);
    writeFileSync(target, copied.source);
    copied.packages.forEach((name) => packages.add(name));
    files.push(entry);
  }
  return { files: files.sort(), packages: [...packages].sort() };
}
