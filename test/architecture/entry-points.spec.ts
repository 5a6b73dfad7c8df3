import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { preProcessFile } from 'typescript';

/**
 * What each entry point of the package loads, from the imports the TypeScript parser finds,
 * followed through relative imports: the root entry needs no optional peer (`@nestjs/terminus`
 * is for `/terminus` alone), each WebSocket entry loads its own platform and not the other's, and
 * none loads an OpenTelemetry SDK (the library talks to `@opentelemetry/api`
 * only; the app chooses and registers the SDK).
 */

const SRC = join(__dirname, '../../src');

/** The npm packages the files reachable from `entry` import. */
function packagesReachableFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const { fileName } of preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (fileName.startsWith('.')) visit(normalize(join(dirname(file), fileName.replace(/\.js$/, '.ts'))));
      else if (!fileName.startsWith('node:'))
        packages.add(
          fileName
            .split('/')
            .slice(0, fileName.startsWith('@') ? 2 : 1)
            .join('/'),
        );
    }
  };
  visit(join(SRC, entry));
  return packages;
}

describe('the entry points', () => {
  const root = packagesReachableFrom('index.ts');
  const terminus = packagesReachableFrom('terminus/index.ts');

  it('finds the imports (the walk follows relative imports into the layers)', () => {
    expect(root).toContain('@nestjs/common');
    expect(root).toContain('@opentelemetry/api');
    expect(root).toContain('msgpackr');
  });

  it('the root entry does not load @nestjs/terminus (an optional peer: only /terminus needs it)', () => {
    expect(root).not.toContain('@nestjs/terminus');
    expect(terminus).toContain('@nestjs/terminus');
  });

  it('/ws loads @nestjs/platform-ws and no socket.io; /socket.io loads @nestjs/platform-socket.io and not @nestjs/platform-ws', () => {
    const ws = packagesReachableFrom('ws/index.ts');
    const io = packagesReachableFrom('socket-io/index.ts');
    expect(ws).toContain('@nestjs/platform-ws');
    expect([...ws].filter((name) => name.includes('socket.io'))).toEqual([]);
    expect(io).toContain('@nestjs/platform-socket.io');
    expect([...io].filter((name) => name === '@nestjs/platform-ws' || name === 'ws')).toEqual([]);
    for (const peer of ['@nestjs/platform-ws', '@nestjs/platform-socket.io', 'socket.io', 'ws']) expect(root).not.toContain(peer);
  });

  it('no entry loads an OpenTelemetry SDK or exporter: the library depends on @opentelemetry/api only', () => {
    for (const loaded of [root, terminus, packagesReachableFrom('testing/index.ts')]) {
      expect([...loaded].filter((name) => name.startsWith('@opentelemetry/') && name !== '@opentelemetry/api')).toEqual([]);
    }
  });
});
