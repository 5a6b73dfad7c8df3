import type { Redis } from 'iovalkey';
import { AesGcmSessionCipher, type AxessSessionModuleOptions } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { idOfCookie, probe, sessionCookie, startProbeApp, type ProbeApp } from '../harness/probe-app';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

/**
 * The key rotation runbook (docs/key-rotation.md), walked across app instances that share one
 * Valkey, one signing key and one (manual) clock:
 *
 *   0. Instance A runs with K1.
 *   1. Every instance learns K2 as a previous key while still sealing with K1 (so that instances
 *      deployed next, which seal with K2, never write what a not-yet-updated one cannot read).
 *   2. Instance B runs with K2 current and K1 previous: it reads everything; each session is
 *      re-sealed with K2 on its next save; new sessions are K2 from the start.
 *   3. One absolute timeout after step 2, every session created before it is over anyway.
 *   4. Drop K1: an instance with K2 alone answers exactly as one that still has K1.
 */

const HOUR = 3_600_000;
const ABSOLUTE = 4 * HOUR;

describe('key rotation across two app instances sharing one Valkey', () => {
  const K1 = randomKey();
  const K2 = randomKey();
  const signingKey = randomKey();
  const clock = new ManualClock(Date.UTC(2031, 0, 1));
  let client: Redis;
  let prefix: string;
  const apps: ProbeApp[] = [];

  /** One instance of the app with the given keys. */
  async function instance(encryptionKey: Buffer, previousEncryptionKeys: Buffer[] = []): Promise<ProbeApp> {
    const options: AxessSessionModuleOptions = {
      client,
      prefix,
      clock,
      signingKey,
      encryptionKey,
      previousEncryptionKeys,
      idleTimeoutMs: HOUR,
      absoluteTimeoutMs: ABSOLUTE,
    };
    const app = await startProbeApp(options);
    apps.push(app);
    return app;
  }

  /** Which key sealed the stored record of a session, read straight from Valkey. */
  async function sealedWith(cookie: string): Promise<'K1' | 'K2' | 'none'> {
    const id = idOfCookie(cookie)!;
    const bytes = await client.getBuffer(`${prefix}:sess:${id}`);
    if (!bytes) return 'none';
    for (const [name, key] of [
      ['K1', K1],
      ['K2', K2],
    ] as const) {
      try {
        new AesGcmSessionCipher(key).open(id, bytes);
        return name;
      } catch {
        // not this key
      }
    }
    return 'none';
  }

  const visit = async (app: ProbeApp, cookie: string): Promise<unknown> => (await probe(app.url, 'GET', '/visit', { cookie })).body;

  beforeAll(() => {
    client = testClient();
    prefix = uniquePrefix('rotation');
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await client.quit();
  });

  it('walks the runbook: no session is lost, everything ends up sealed with K2, and K1 can go', async () => {
    // 0. A seals with K1.
    const a = await instance(K1);
    const readOnly = sessionCookie(await probe(a.url, 'POST', '/data', { body: { note: 'read only from now on' } }))!;
    const rewritten = sessionCookie(await probe(a.url, 'POST', '/data', { body: { cart: ['book'] } }))!;
    const signedIn = sessionCookie(await probe(a.url, 'POST', '/login', { headers: { 'x-user': 'rotating-user' } }))!;
    for (const cookie of [readOnly, rewritten, signedIn]) expect(await sealedWith(cookie)).toBe('K1');

    // 1. The step that makes a rolling deploy safe: A1 still seals with K1 but can read K2.
    const a1 = await instance(K1, [K2]);
    clock.advance(10 * 60_000);

    // 2. B seals with K2 and still reads K1: every session A wrote loads on B.
    const b = await instance(K2, [K1]);
    const rotatedAt = clock.nowMs();
    expect(await visit(b, readOnly)).toMatchObject({ id: idOfCookie(readOnly), data: { note: 'read only from now on' } });
    expect(await visit(b, rewritten)).toMatchObject({ id: idOfCookie(rewritten), data: { cart: ['book'] } });
    expect((await probe(b.url, 'GET', '/me', { cookie: signedIn })).body).toMatchObject({ userId: 'rotating-user' });
    // Reading does not re-seal (a read writes nothing); the next save does, under the same id.
    expect(await sealedWith(readOnly)).toBe('K1');
    const saved = await probe(b.url, 'POST', '/data', { cookie: rewritten, body: { cart: ['book', 'lamp'] } });
    expect(saved.body.id).toBe(idOfCookie(rewritten));
    expect(saved.setCookies).toEqual([]);
    expect(await sealedWith(rewritten)).toBe('K2');
    // New sessions and logins on B are K2 from the start.
    const fresh = sessionCookie(await probe(b.url, 'POST', '/data', { body: { born: 'after rotation' } }))!;
    const freshLogin = sessionCookie(await probe(b.url, 'POST', '/login', { headers: { 'x-user': 'rotating-user-2' } }))!;
    expect(await sealedWith(fresh)).toBe('K2');
    expect(await sealedWith(freshLogin)).toBe('K2');

    // Why step 1 matters: an instance with K1 alone no longer reads what B re-sealed...
    expect(await visit(a, rewritten)).toMatchObject({ id: null });
    expect(await visit(a, fresh)).toMatchObject({ id: null });
    // ...while A1 (K1 current, K2 previous) reads everything, old and new.
    expect(await visit(a1, rewritten)).toMatchObject({ id: idOfCookie(rewritten), data: { cart: ['book', 'lamp'] } });
    expect(await visit(a1, fresh)).toMatchObject({ id: idOfCookie(fresh) });
    expect(await visit(a1, readOnly)).toMatchObject({ id: idOfCookie(readOnly) });

    // Why step 3 matters: dropping K1 halfway through signs out sessions never saved since.
    clock.advance(ABSOLUTE / 2);
    const early = await instance(K2);
    expect(await visit(b, readOnly)).toMatchObject({ id: idOfCookie(readOnly) });
    expect(await visit(early, readOnly)).toMatchObject({ id: null });
    const lateComer = sessionCookie(await probe(b.url, 'POST', '/data', { body: { born: 'mid-rotation' } }))!;

    // 3. One absolute timeout after B took over.
    clock.set(rotatedAt + ABSOLUTE);
    // 4. C has K2 only: it answers every cookie exactly as B (with K1) does.
    const c = await instance(K2);
    for (const cookie of [readOnly, rewritten, signedIn, fresh, freshLogin, lateComer]) {
      expect({ cookie, onC: await visit(c, cookie) }).toEqual({ cookie, onC: await visit(b, cookie) });
    }
    // Sessions created before the rotation are over on both; those created since live on, sealed with K2.
    expect(await visit(c, readOnly)).toMatchObject({ id: null });
    expect(await visit(c, signedIn)).toMatchObject({ id: null });
    expect(await visit(c, lateComer)).toMatchObject({ id: idOfCookie(lateComer), data: { born: 'mid-rotation' } });
    expect(await sealedWith(lateComer)).toBe('K2');
  });
});
