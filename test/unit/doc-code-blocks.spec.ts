import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

/**
 * Every ```ts block of README.md, sample/README.md and the guides in docs/ is type-checked against
 * the package's sources, each block as a module of its own, so a guide cannot drift from the API:
 * a renamed export, a changed signature or a removed option fails here. `@axess/nestjs-session`
 * and its subpaths resolve to src/, as an app's imports of the published package would. A block
 * that is not TypeScript uses another fence (```text, ```sh, ```json). Blocks share one program, so
 * a module augmentation (the README's `AxessSessionData`) applies to all of them, as it would
 * across the files of one app.
 */

const ROOT = join(__dirname, '../..');

/** The documents whose code blocks are checked: the README, the sample's walkthrough, every guide. */
function documents(): string[] {
  const guides = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', 'sample/README.md', ...guides.sort()];
}

interface CodeBlock {
  /** Where the block starts, as `file:line` (the line of its opening fence). */
  where: string;
  /** The virtual file the block is compiled as. */
  fileName: string;
  source: string;
}

/** The ```ts (or ```typescript) blocks of one markdown file. */
function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,})(\S*)/.exec(lines[i]);
    if (!fence) continue;
    const [, indent, ticks, language] = fence;
    const end = lines.findIndex((line, j) => j > i && line.trimStart().startsWith(ticks) && line.trim() === ticks);
    if (end === -1) throw new Error(`${file}:${i + 1}: a code block that is never closed`);
    if (language === 'ts' || language === 'typescript') {
      const body = lines.slice(i + 1, end).map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
      const name = file.replace(/[^a-zA-Z0-9]+/g, '-');
      blocks.push({
        where: `${file}:${i + 1}`,
        fileName: join(ROOT, '.doc-blocks', `${name}-${i + 1}.ts`),
        // `export {}` makes every block a module of its own, even one without an import.
        source: `${body.join('\n')}\nexport {};\n`,
      });
    }
    i = end;
  }
  return blocks;
}

/** The repo's compiler options, with the package's subpaths mapped to src/ like an installed package. */
function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return {
    ...options,
    noEmit: true,
    declaration: false,
    // A guide shows how to use a value, not that it is used afterwards.
    noUnusedLocals: false,
    noUnusedParameters: false,
    // This repo's own strictness, not an app's: the NestJS docs' guards override without the keyword.
    noImplicitOverride: false,
    paths: {
      '@axess/nestjs-session': ['./src/index.ts'],
      '@axess/nestjs-session/testing': ['./src/testing/index.ts'],
      '@axess/nestjs-session/ws': ['./src/ws/index.ts'],
      '@axess/nestjs-session/socket.io': ['./src/socket-io/index.ts'],
      '@axess/nestjs-session/terminus': ['./src/terminus/index.ts'],
    },
  };
}

/** One program over every block (the sources are checked once), the blocks served from memory. */
function compile(blocks: CodeBlock[]): ts.Program {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const virtual = new Map(blocks.map((block) => [block.fileName, block.source]));
  const disk = ts.createCompilerHost(options);
  host.fileExists = (fileName) => virtual.has(fileName) || disk.fileExists(fileName);
  host.readFile = (fileName) => virtual.get(fileName) ?? disk.readFile(fileName);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const source = virtual.get(fileName);
    if (source !== undefined) return ts.createSourceFile(fileName, source, languageVersion, true);
    return disk.getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  return ts.createProgram([...virtual.keys()], options, host);
}

/** The compiler's errors for one block, each as `file:line: message` in the markdown's lines. */
function errorsOf(program: ts.Program, block: CodeBlock): string[] {
  const sourceFile = program.getSourceFile(block.fileName)!;
  const fenceLine = Number(block.where.split(':').pop());
  return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)].map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (diagnostic.start === undefined) return `${block.where}: ${message}`;
    const { line } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start);
    return `${block.where.split(':')[0]}:${fenceLine + 1 + line}: ${message}`;
  });
}

/** A block that misuses the API, compiled with the others: proves the check reports what it should. */
const BROKEN: CodeBlock = {
  where: 'broken.md:1',
  fileName: join(ROOT, '.doc-blocks', 'broken.ts'),
  source:
    "import { AxessSessionModule } from '@axess/nestjs-session';\nAxessSessionModule.forRoot({ maxSessionsPerUsr: 3 });\nexport {};\n",
};

describe('the code blocks of the README and the guides compile against the sources', () => {
  const files = documents();
  const blocks = files.flatMap(codeBlocks);
  const program = compile([...blocks, BROKEN]);

  it('finds the documents and their blocks (a sanity check of the extraction itself)', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'sample/README.md', 'docs/getting-started.md', 'docs/graphql.md']));
    expect(blocks.filter((block) => block.where.startsWith('README.md:')).length).toBeGreaterThan(0);
    expect(blocks.filter((block) => block.where.startsWith('docs/getting-started.md:')).length).toBeGreaterThan(0);
  });

  it('reports a block that uses the API wrongly (the check can fail)', () => {
    expect(errorsOf(program, BROKEN).join('\n')).toMatch(/maxSessionsPerUsr/);
  });

  it.each(blocks.map((block) => [block.where, block] as const))('%s', (_where, block) => {
    expect(errorsOf(program, block)).toEqual([]);
  });
});
