import type { Redis } from 'iovalkey';
import { SessionRecordCodec } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { idOfCookie, probe, sessionCookie, startProbeApp, type ProbeApp } from '../harness/probe-app';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

/**
 * The threat model's claims about an attacker who can write to Valkey but holds no key
 * (SECURITY.md), checked against the real app: what such an attacker cannot do (forge or
 * re-bind a record, outlive the absolute deadline) and what they can (replay a session's own
 * earlier record; with the plaintext opt-in, forge any session).
 */

const HOUR = 3_600_000;

describe('an attacker with write access to Valkey and no key', () => {
  let client: Redis;
  const apps: ProbeApp[] = [];
  const codec = new SessionRecordCodec();
  beforeAll(() => {
    client = testClient();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await client.quit();
  });

  async function app(extra: { plaintext?: boolean; clock?: ManualClock } = {}) {
    const prefix = uniquePrefix('write-access');
    const t = await startProbeApp({
      client,
      prefix,
      signingKey: randomKey(),
      idleTimeoutMs: HOUR,
      absoluteTimeoutMs: 4 * HOUR,
      ...(extra.clock ? { clock: extra.clock } : {}),
      ...(extra.plaintext ? { plaintext: true } : { encryptionKey: randomKey() }),
    });
    apps.push(t);
    return { t, key: (cookie: string) => `${prefix}:sess:${idOfCookie(cookie)}` };
  }

  it("cannot turn their own session into another user's: a record they write does not open", async () => {
    const { t, key } = await app();
    const own = sessionCookie(await probe(t.url, 'POST', '/data', { body: { mine: true } }))!;
    const forged = codec.encode({ data: {}, createdAt: Date.now(), userId: 'admin', authenticatedAt: Date.now() });
    for (const bytes of [forged, Buffer.concat([Buffer.alloc(12), forged, Buffer.alloc(16)])]) {
      await client.set(key(own), bytes, 'PX', HOUR);
      expect((await probe(t.url, 'GET', '/me', { cookie: own })).status).toBe(401);
      expect((await probe(t.url, 'GET', '/visit', { cookie: own })).body).toMatchObject({ id: null, userId: null });
    }
  });

  it("can replay a session's own earlier record after a logout (same id), but never past its absolute deadline", async () => {
    const clock = new ManualClock(Date.UTC(2031, 5, 1));
    const { t, key } = await app({ clock });
    const cookie = sessionCookie(await probe(t.url, 'POST', '/login', { headers: { 'x-user': 'replayed-user' } }))!;
    const earlier = (await client.getBuffer(key(cookie)))!;
    expect((await probe(t.url, 'POST', '/logout', { cookie })).status).toBe(200);
    expect((await probe(t.url, 'GET', '/me', { cookie })).status).toBe(401);

    // The sealed bytes are the session's own: they authenticate under its id, so they load again.
    await client.set(key(cookie), earlier, 'PX', HOUR);
    expect((await probe(t.url, 'GET', '/me', { cookie })).body).toMatchObject({ userId: 'replayed-user' });

    // The creation time is sealed inside: once the absolute deadline passes, no replay helps.
    clock.advance(4 * HOUR);
    await client.set(key(cookie), earlier, 'PX', HOUR);
    expect((await probe(t.url, 'GET', '/me', { cookie })).status).toBe(401);
  });

  it('with the plaintext opt-in, can forge any session: a record naming another user is taken as is', async () => {
    const { t, key } = await app({ plaintext: true });
    const own = sessionCookie(await probe(t.url, 'POST', '/data', { body: { mine: true } }))!;
    await client.set(key(own), codec.encode({ data: {}, createdAt: Date.now(), userId: 'admin', authenticatedAt: Date.now() }), 'PX', HOUR);
    expect((await probe(t.url, 'GET', '/me', { cookie: own })).body).toMatchObject({ userId: 'admin' });
  });
});
