import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

/**
 * The option tables of the getting-started guide list exactly the properties of the option
 * interfaces, as the type checker sees them (inherited and mapped members included), so the docs
 * cannot drift from the code again: a new option fails this test until it is documented, a
 * removed one until its row goes. The tables of the backend contracts (docs/custom-backends.md)
 * and of the error kinds are checked the same way.
 */

const ROOT = join(__dirname, '../..');

/** The guide that holds the tables (the README links to it). */
const GUIDE = 'docs/getting-started.md';

/** Type-checks the option files once, with the repo's compiler options. */
function checkerFor(files: string[]): { program: ts.Program; checker: ts.TypeChecker } {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const program = ts.createProgram(
    files.map((file) => join(ROOT, file)),
    { ...options, noEmit: true },
  );
  return { program, checker: program.getTypeChecker() };
}

/** The property names of the interface `name` exported by `file`, as the type checker resolves them. */
function propertiesOf({ program, checker }: { program: ts.Program; checker: ts.TypeChecker }, file: string, name: string): string[] {
  const source = program.getSourceFile(join(ROOT, file));
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${file} did not load`);
  const symbol = checker.getExportsOfModule(moduleSymbol).find((exported) => exported.name === name);
  if (!symbol) throw new Error(`${file} does not export ${name}`);
  return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)).map((property) => property.name);
}

/**
 * The option names in the first column of the guide's table whose header row starts with
 * `| {firstHeader} |`: every backticked name in that column (a row may name several, as in
 * `` `client` / `connection` ``).
 */
function readmeTableOptions(readme: string, firstHeader: string): string[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${firstHeader} |`));
  if (start === -1) throw new Error(`${GUIDE} has no table headed "| ${firstHeader} |"`);
  const rows = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|')[1]);
  }
  return rows.flatMap((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]));
}

const sorted = (names: Iterable<string>) => [...names].sort();

/** The public members (methods, getters, properties) of the class `name` exported by `file`. */
function publicMembersOf({ program, checker }: { program: ts.Program; checker: ts.TypeChecker }, file: string, name: string): string[] {
  const source = program.getSourceFile(join(ROOT, file));
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  const symbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((exported) => exported.name === name);
  if (!symbol) throw new Error(`${file} does not export ${name}`);
  return checker
    .getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))
    .filter(
      (member) =>
        !(
          ts.getCombinedModifierFlags(member.valueDeclaration ?? member.declarations![0]) &
          (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)
        ),
    )
    .map((member) => member.name);
}

/** The string literals of the union type alias `name` exported by `file`. */
function unionMembersOf({ program, checker }: { program: ts.Program; checker: ts.TypeChecker }, file: string, name: string): string[] {
  const source = program.getSourceFile(join(ROOT, file));
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  const symbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((exported) => exported.name === name);
  if (!symbol) throw new Error(`${file} does not export ${name}`);
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  return (type.isUnion() ? type.types : [type]).map((member) => String((member as ts.StringLiteralType).value));
}

/** The names before the first `(` in the first column of the guide's table headed `| {firstHeader} |`. */
function readmeTableMembers(readme: string, firstHeader: string): string[] {
  return readmeTableOptions(readme, firstHeader).map((cell) => cell.split('(')[0]);
}

describe('the guide tables of the backend contracts and error kinds', () => {
  const readme = readFileSync(join(ROOT, GUIDE), 'utf8');
  /** The custom-backends guide: the core members in one table, the capabilities' methods in the second column of another. */
  const contracts = readFileSync(join(ROOT, 'docs/custom-backends.md'), 'utf8');
  const capabilityMethods = () => {
    const lines = contracts.split('\n');
    const start = lines.findIndex((line) => line.startsWith('| capability |'));
    const rows = lines.slice(start + 2).filter((line, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|')));
    return rows.flatMap((row) => [...row.split('|')[2].matchAll(/`([^`]+)`/g)].map((match) => match[1]));
  };
  const STORE = 'src/store/session-store.ts';
  const REGISTRY = 'src/registry/session-registry.ts';
  const ERROR = 'src/errors/session-store.error.ts';
  const checked = checkerFor([STORE, REGISTRY, ERROR]);

  it('the SessionStore table and the capability table list every public member', () => {
    expect(sorted([...readmeTableMembers(contracts, '`SessionStore` member'), ...capabilityMethods()])).toEqual(
      sorted(publicMembersOf(checked, STORE, 'SessionStore')),
    );
  });

  it('the SessionRegistry table lists every public member', () => {
    expect(sorted(readmeTableMembers(contracts, '`SessionRegistry` member'))).toEqual(
      sorted(publicMembersOf(checked, REGISTRY, 'SessionRegistry')),
    );
  });

  it('the error table lists every SessionStoreError kind', () => {
    const kinds = unionMembersOf(checked, ERROR, 'SessionStoreErrorKind');
    expect(kinds).toEqual(expect.arrayContaining(['connection', 'replication']));
    expect(sorted(readmeTableMembers(readme, '`SessionStoreError` kind'))).toEqual(sorted(kinds));
  });
});

describe('the guide option tables', () => {
  const readme = readFileSync(join(ROOT, GUIDE), 'utf8');
  const OPTIONS = 'src/axess-session.options.ts';
  const DEFINITION = 'src/axess-session.module-definition.ts';
  const checked = checkerFor([OPTIONS, DEFINITION]);
  const moduleOptions = propertiesOf(checked, OPTIONS, 'AxessSessionModuleOptions');
  const cookieOptions = propertiesOf(checked, OPTIONS, 'AxessCookieOptions');
  const moduleExtras = propertiesOf(checked, DEFINITION, 'AxessSessionModuleExtras');

  it('the module options table lists every AxessSessionModuleOptions and AxessSessionModuleExtras property, and nothing else', () => {
    const documented = readmeTableOptions(readme, 'option');
    expect(documented.length).toBe(new Set(documented).size);
    expect(sorted(documented)).toEqual(sorted([...moduleOptions, ...moduleExtras]));
  });

  it('the cookie options table lists every AxessCookieOptions property, and nothing else', () => {
    const documented = readmeTableOptions(readme, '`cookie` option');
    expect(documented.length).toBe(new Set(documented).size);
    expect(sorted(documented)).toEqual(sorted(cookieOptions));
  });

  it('the checker sees the options (a sanity check of the extraction itself)', () => {
    expect(moduleOptions).toEqual(expect.arrayContaining(['store', 'encryptionKey', 'durableWrites']));
    expect(moduleExtras).toEqual(expect.arrayContaining(['isGlobal', 'extraProviders']));
    expect(cookieOptions).toEqual(expect.arrayContaining(['name', 'secure']));
  });
});
