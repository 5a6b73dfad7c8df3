import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { preProcessFile } from 'typescript';

/**
 * The folder graph of src/, from the imports the TypeScript parser finds in each file: imports
 * point one way (no cycle between folders), no folder reaches up to the module files at the top
 * of src/, and each folder imports only what docs/architecture.md says it does.
 */

const SRC = join(__dirname, '../../src');
const ROOT = '(top level)';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The folder of `src/`-relative `path`, or the top level. */
function folderOf(path: string): string {
  const rel = relative(SRC, path);
  return rel.includes(sep) ? rel.split(sep)[0] : ROOT;
}

/** The import specifiers of each file of src/, as the TypeScript parser finds them (type-only imports included). */
function importsByFile(): Array<{ file: string; specifiers: string[] }> {
  return sourceFiles(SRC).map((file) => ({
    file,
    specifiers: preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map(({ fileName }) => fileName),
  }));
}

/** folder → the other folders its files import from. */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { file, specifiers } of importsByFile()) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const fileName of specifiers) {
      if (!fileName.startsWith('.')) continue;
      const to = folderOf(normalize(join(dirname(file), fileName)));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** The folders whose files import `pkg` (or one of its subpaths). */
function foldersImporting(pkg: string): string[] {
  const folders = new Set<string>();
  for (const { file, specifiers } of importsByFile()) {
    if (specifiers.some((name) => name === pkg || name.startsWith(`${pkg}/`))) folders.add(folderOf(file));
  }
  return [...folders].sort();
}

/** A cycle in `graph`, as the folders along it, or undefined. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * The "imports" column of a layer table like docs/architecture.md's: folder → allowed folders.
 * A folder with two rows is an error: the second would silently replace the first.
 */
function documentedLayers(doc = readFileSync(join(__dirname, '../../docs/architecture.md'), 'utf8')): Map<string, Set<string>> {
  const layers = new Map<string, Set<string>>();
  for (const line of doc.split('\n')) {
    const row = /^\| `([a-z-]+)\/` \|.*\| ([^|]+) \|$/.exec(line);
    if (!row) continue;
    if (layers.has(row[1])) throw new Error(`the layer table has two rows for ${row[1]}/`);
    const allowed = row[2].trim() === '—' ? [] : row[2].split(',').map((name) => name.trim());
    layers.set(row[1], new Set(allowed));
  }
  return layers;
}

describe('the layers of src/', () => {
  const graph = folderGraph();

  it('finds the folders and their imports (the parser sees the source)', () => {
    expect(graph.get('http')).toContain('store');
    expect(graph.get(ROOT)?.size).toBeGreaterThan(5);
  });

  it('has no import cycle between folders', () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it('no folder imports the module, options or provider files at the top of src/', () => {
    const upward = [...graph].filter(([from, to]) => from !== ROOT && to.has(ROOT)).map(([from]) => from);
    expect(upward).toEqual([]);
  });

  it('each folder imports only the layers docs/architecture.md lists for it, and the table covers every folder', () => {
    const documented = documentedLayers();
    const folders = [...graph.keys()].filter((folder) => folder !== ROOT).sort();
    expect([...documented.keys()].sort()).toEqual(folders);
    for (const folder of folders) {
      const undocumented = [...(graph.get(folder) ?? [])].filter((to) => !documented.get(folder)!.has(to));
      expect({ folder, undocumented }).toEqual({ folder, undocumented: [] });
    }
  });

  it('only valkey/ (and the testing helpers) import iovalkey: the cache and every other layer stay backend-neutral', () => {
    expect(foldersImporting('iovalkey')).toEqual(['testing', 'valkey']);
  });

  it('a layer table with two rows for one folder is refused, not read as the last row', () => {
    const table = ['| `ws/` | sockets | clock |', '| `http/` | requests | clock |', '| `ws/` | sockets again | clock, http |'].join('\n');
    expect(() => documentedLayers(table)).toThrow('two rows for ws/');
    expect([...documentedLayers(table.split('\n').slice(0, 2).join('\n')).keys()]).toEqual(['ws', 'http']);
  });

  it('the cycle check catches a cycle when there is one', () => {
    const looped = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(looped)).toEqual(['a', 'b', 'c', 'a']);
  });
});
