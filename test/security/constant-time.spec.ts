import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Redis } from 'iovalkey';
import { idOfCookie, probe, sessionCookie, startProbeApp, type ProbeApp } from '../harness/probe-app';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

/**
 * Secrets are compared in constant time. The only secret the library compares itself is the
 * cookie MAC (AES-GCM tags are checked inside OpenSSL; session ids are looked up, never
 * compared, and only after their MAC verified). These tests hold it to that: the real
 * middleware verifies through `crypto.timingSafeEqual`, and no source file compares a MAC,
 * digest, tag, key or token any other way.
 */

describe('the cookie MAC is compared with timingSafeEqual on every request that carries one', () => {
  // The module object itself (an `import *` namespace would be a copy the library never calls).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeCrypto: typeof import('node:crypto') = require('node:crypto');
  let client: Redis;
  let t: ProbeApp;
  let cookie: string;
  let spy: jest.SpiedFunction<typeof nodeCrypto.timingSafeEqual>;

  beforeAll(async () => {
    client = testClient();
    t = await startProbeApp({ client, prefix: uniquePrefix('ct'), encryptionKey: randomKey(), signingKey: randomKey() });
    cookie = sessionCookie(await probe(t.url, 'POST', '/data', { body: { a: 1 } }))!;
  });
  afterAll(async () => {
    await t.close();
    await client.quit();
  });
  beforeEach(() => {
    spy = jest.spyOn(nodeCrypto, 'timingSafeEqual');
  });
  afterEach(() => spy.mockRestore());

  const mac = (pair: string) => pair.slice(pair.lastIndexOf('.') + 1);

  it('a valid cookie: one constant-time comparison of equal-length MACs, which matched', async () => {
    expect((await probe(t.url, 'GET', '/visit', { cookie })).body.id).toBe(idOfCookie(cookie));
    expect(spy).toHaveBeenCalledTimes(1);
    const [given, expected] = spy.mock.calls[0] as [Buffer, Buffer];
    expect(given.length).toBe(expected.length);
    expect(given.toString('latin1')).toBe(mac(cookie));
    expect(spy.mock.results[0].value).toBe(true);
  });

  it('a MAC changed in its last character: compared the same way, and refused', async () => {
    const last = cookie.at(-1) === 'A' ? 'B' : 'A';
    const forged = cookie.slice(0, -1) + last;
    expect((await probe(t.url, 'GET', '/visit', { cookie: forged })).body.id).toBeNull();
    expect(spy).toHaveBeenCalledTimes(1);
    const [given, expected] = spy.mock.calls[0] as [Buffer, Buffer];
    expect(given.length).toBe(expected.length);
    expect(spy.mock.results[0].value).toBe(false);
  });

  it('a MAC of another length is refused before any comparison (its length is not a secret)', async () => {
    expect((await probe(t.url, 'GET', '/visit', { cookie: cookie.slice(0, -2) })).body.id).toBeNull();
    expect(spy).not.toHaveBeenCalled();
  });
});

/** Every TypeScript file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('no secret is compared by value anywhere in the library source', () => {
  const root = join(__dirname, '../../src');
  const files = sources(root).filter((path) => !path.includes('/testing/'));
  // A value named like a secret on either side of an equality operator.
  const NAMES = String.raw`(?:[\w.]*\.)?(?:mac|macs|hmac|digest|tag|authTag|signature|sig|token|secret|key|cookieKey|expected|given)(?:\(\))?`;
  const SECRET = new RegExp(String.raw`\b${NAMES}\s*[!=]==?(?!=)|[!=]==?\s*${NAMES}\b`, 'i');
  // Comparisons with types, absence and fixed literals reveal nothing and are allowed.
  const HARMLESS = /\.length\s*[!=]==|[!=]==?\s*(undefined|null|'[^']*')|(undefined|null)\s*[!=]==?|typeof /;

  it('scans the library (the check sees files)', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files.some((f) => f.endsWith('cookie-signer.ts'))).toBe(true);
  });

  it('no Buffer.equals / Buffer.compare anywhere (they return early on the first differing byte)', () => {
    const hits = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${relative(root, file)}:${i + 1}`, line }))
        .filter(({ line }) => /\.equals\(|Buffer\.compare\(|\.compare\(/.test(line)),
    );
    expect(hits).toEqual([]);
  });

  it('no === / !== / == between values named like secrets', () => {
    const hits = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${relative(root, file)}:${i + 1}`, line: line.trim() }))
        .filter(
          ({ line }) =>
            !line.startsWith('//') && !line.startsWith('*') && /[!=]==?/.test(line) && SECRET.test(line) && !HARMLESS.test(line),
        )
        // Session keys of the data map and option names are not secrets.
        .filter(({ line }) => !/key === '__proto__'|toLowerCase\(\) === 'set-cookie'/.test(line)),
    );
    expect(hits).toEqual([]);
  });

  it('the one place that compares a MAC does it with timingSafeEqual', () => {
    const signer = readFileSync(join(root, 'http/cookie-signer.ts'), 'utf8');
    expect(signer).toMatch(/timingSafeEqual\(given, expected\)/);
  });
});
