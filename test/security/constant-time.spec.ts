import type { Redis } from 'iovalkey';
import { idOfCookie, probe, sessionCookie, startProbeApp, type ProbeApp } from '../harness/probe-app';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

/**
 * Secrets are compared in constant time. The only secret the library compares itself is the
 * cookie MAC (AES-GCM tags are checked inside OpenSSL; session ids are looked up, never
 * compared, and only after their MAC verified). These tests hold the real middleware to that:
 * the first time a cookie value comes in, and every time a value this server did not sign comes
 * in, its MAC (when it has the right length) reaches `crypto.timingSafeEqual`, once, whichever
 * byte differs, and nothing answers before it. A value that verified before is found in the
 * signer's cache of verified values by the whole value (`CookieSigner`): no comparison, and a
 * forged value never hits that cache, however close it is to a cached one.
 */

describe('the cookie MAC is compared with timingSafeEqual on every request that carries a value not verified before', () => {
  // The module object itself (an `import *` namespace would be a copy the library never calls).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeCrypto: typeof import('node:crypto') = require('node:crypto');
  let client: Redis;
  let t: ProbeApp;
  let spy: jest.SpiedFunction<typeof nodeCrypto.timingSafeEqual>;

  beforeAll(async () => {
    client = testClient();
    t = await startProbeApp({ client, prefix: uniquePrefix('ct'), encryptionKey: randomKey(), signingKey: randomKey() });
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
  /** A session of its own for each test: no test depends on what another left in the signer's cache. */
  const freshCookie = async () => {
    const cookie = sessionCookie(await probe(t.url, 'POST', '/data', { body: { a: 1 } }))!;
    spy.mockClear();
    return cookie;
  };
  /** The same session after one request presented its cookie: that value is in the verified cache now. */
  const verifiedCookie = async () => {
    const cookie = await freshCookie();
    expect((await probe(t.url, 'GET', '/visit', { cookie })).body.id).toBe(idOfCookie(cookie));
    spy.mockClear();
    return cookie;
  };

  it('a valid cookie the first time it comes in: one constant-time comparison of equal-length MACs, which matched', async () => {
    const cookie = await freshCookie();
    expect((await probe(t.url, 'GET', '/visit', { cookie })).body.id).toBe(idOfCookie(cookie));
    expect(spy).toHaveBeenCalledTimes(1);
    const [given, expected] = spy.mock.calls[0] as [Buffer, Buffer];
    expect(given.length).toBe(expected.length);
    expect(given.toString('latin1')).toBe(mac(cookie));
    expect(spy.mock.results[0].value).toBe(true);
  });

  it('the same cookie again: found in the cache of verified values by the whole value, no comparison', async () => {
    const cookie = await verifiedCookie();
    expect((await probe(t.url, 'GET', '/visit', { cookie })).body.id).toBe(idOfCookie(cookie));
    expect(spy).not.toHaveBeenCalled();
  });

  it('a MAC changed in its last character, while the genuine value is cached: compared the same way, and refused', async () => {
    const cookie = await verifiedCookie();
    const last = cookie.at(-1) === 'A' ? 'B' : 'A';
    const forged = cookie.slice(0, -1) + last;
    expect((await probe(t.url, 'GET', '/visit', { cookie: forged })).body.id).toBeNull();
    expect(spy).toHaveBeenCalledTimes(1);
    const [given, expected] = spy.mock.calls[0] as [Buffer, Buffer];
    expect(given.length).toBe(expected.length);
    expect(spy.mock.results[0].value).toBe(false);
  });

  it.each([
    ['its first character', (value: string) => value.length - 43],
    ['a middle character', (value: string) => value.length - 22],
  ])('a MAC changed in %s goes through the same single comparison: nothing answers earlier for an early difference', async (_label, at) => {
    const cookie = await verifiedCookie();
    const index = at(cookie);
    const forged = cookie.slice(0, index) + (cookie[index] === 'A' ? 'B' : 'A') + cookie.slice(index + 1);
    expect((await probe(t.url, 'GET', '/visit', { cookie: forged })).body.id).toBeNull();
    expect(spy).toHaveBeenCalledTimes(1);
    const [given, expected] = spy.mock.calls[0] as [Buffer, Buffer];
    expect(given.length).toBe(expected.length);
    expect(given.toString('latin1')).toBe(mac(forged));
    expect(spy.mock.results[0].value).toBe(false);
  });

  it('a MAC of another length is refused before any comparison (its length is not a secret)', async () => {
    const cookie = await freshCookie();
    expect((await probe(t.url, 'GET', '/visit', { cookie: cookie.slice(0, -2) })).body.id).toBeNull();
    expect(spy).not.toHaveBeenCalled();
  });
});
