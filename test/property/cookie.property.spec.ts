import fc from 'fast-check';
import { createHash } from 'node:crypto';
import type { Redis } from 'iovalkey';
import { parseCookie } from 'cookie';
import { CookieSigner, MAX_SESSION_COOKIES, SessionStore } from '../../src/internal';
import { idOfCookie, probe, sessionCookie, startProbeApp, type ProbeApp } from '../harness/probe-app';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';
import { PROPERTY_SEED } from '../harness/property-seed';
import { keyArb, sessionIdArb } from '../harness/stored-bytes.arbitrary';

/**
 * Invariant I8 for cookies, through the real middleware on Express and Valkey: whatever the
 * Cookie header holds, the request is answered (never a 500, never a hang); it either carries
 * the one real session, when the real signed value is among the first few session cookies, or
 * none; and
 * what gets stored afterwards lives under a fresh id, never one the client offered.
 */

const NAME = 'axess.sid';
const SIGNING_KEY = createHash('sha256').update(`cookie-signing:${PROPERTY_SEED}`).digest();
const signer = new CookieSigner(SIGNING_KEY);

/** Header text the client may send (latin1, no CR/LF/NUL, which fetch refuses to send). */
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x09, max: 0x09 }), fc.integer({ min: 0x80, max: 0xff }))
  .map((c) => String.fromCharCode(c));
const garbage = fc.string({ unit: headerChar, maxLength: 60 }).filter((s) => !s.includes(NAME));
const b64url = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')),
  minLength: 0,
  maxLength: 50,
});

/** One pair of the header, tagged with what it is. */
type Pair = { kind: 'real' | 'forged' | 'other'; text: string; offeredId?: string };

function pairs(real: { value: string; id: string }): fc.Arbitrary<Pair> {
  const forged = (value: string, offeredId?: string): Pair => ({ kind: 'forged', text: `${NAME}=${value}`, offeredId });
  return fc.oneof(
    { weight: 4, arbitrary: garbage.map((text): Pair => ({ kind: 'other', text })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          b64url.filter((s) => s.length > 0),
          garbage,
        )
        .map(([n, v]): Pair => ({ kind: 'other', text: `${n}=${v.replace(/;/g, '')}` })),
    },
    { weight: 1, arbitrary: fc.constant<Pair>({ kind: 'real', text: `${NAME}=${real.value}` }) },
    // Forgeries: the real value quoted (not what the server set), garbage, a random MAC, a MAC
    // from another key, the right MAC over an id with no session, the real value cut, extended or
    // with one character changed.
    fc.constant<Pair>(forged(`"${real.value}"`)),
    garbage.map((v) => forged(v.replace(/;/g, ''))),
    fc.tuple(sessionIdArb, b64url).map(([id, mac]) => forged(`${id}.${mac}`, id)),
    fc.tuple(keyArb, fc.boolean()).map(([key, mine]) => forged(new CookieSigner(key).sign(real.id), mine ? real.id : undefined)),
    sessionIdArb.filter((id) => id !== real.id).map((id) => forged(signer.sign(id), id)),
    fc.nat().map((n) => forged(real.value.slice(0, n % real.value.length))),
    fc.string({ unit: headerChar, minLength: 1, maxLength: 8 }).map((s) => forged(real.value + s.replace(/[;\s"]/g, 'x'))),
    fc.tuple(fc.nat(), fc.constantFrom('A', 'z', '_', '-', '.', '0')).map(([n, c]) => {
      const at = n % real.value.length;
      return forged(real.value.slice(0, at) + (real.value[at] === c ? 'B' : c) + real.value.slice(at + 1));
    }),
  );
}

/** A Cookie header of up to 60 pairs, with the separators clients and attackers use. */
function header(real: { value: string; id: string }) {
  return fc
    .tuple(fc.array(pairs(real), { minLength: 0, maxLength: 60 }), fc.constantFrom('; ', ';', ';;', ' ; '))
    .map(([list, sep]) => ({ list, text: list.map((p) => p.text).join(sep) }));
}

/**
 * What the middleware must see: the real session iff the real signed value is among the first
 * MAX_SESSION_COOKIES non-empty values of the session cookie (the only live session here: every
 * other value is forged or names no record). A value planted ahead of the real one cannot hide it.
 */
function expectedId(list: Pair[], real: { value: string; id: string }): string | null {
  const values = list
    .filter((p) => p.kind !== 'other')
    .map((p) => parseCookie(p.text)[NAME])
    .filter((value): value is string => Boolean(value))
    .slice(0, MAX_SESSION_COOKIES);
  return values.includes(real.value) ? real.id : null;
}

describe('cookies: hostile Cookie headers through the real middleware (Express, Valkey) (property)', () => {
  let t: ProbeApp;
  let client: Redis;
  let real: { value: string; id: string; pair: string };

  beforeAll(async () => {
    client = testClient();
    t = await startProbeApp({
      client,
      prefix: uniquePrefix('prop-cookie'),
      encryptionKey: randomKey(),
      signingKey: SIGNING_KEY,
      cookie: { name: NAME },
    });
    const created = await probe(t.url, 'POST', '/data', { body: { owner: 'real' } });
    const pair = sessionCookie(created)!;
    real = { pair, value: pair.slice(NAME.length + 1), id: idOfCookie(pair)! };
  });
  afterAll(async () => {
    await t.close();
    await client.quit();
  });

  it('reads: the real session whenever its signed value is among the first session cookies, otherwise none; never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => header(real)),
        async ({ list, text }) => {
          const answer = await probe(t.url, 'GET', '/visit', { cookie: text });
          const expected = expectedId(list, real);
          expect({ header: text, status: answer.status, id: answer.body?.id }).toEqual({ header: text, status: 200, id: expected });
          if (expected) expect(answer.body.data).toEqual({ owner: 'real' });
          // Reading sets no cookie, whatever was offered.
          expect(answer.setCookies).toEqual([]);
        },
      ),
      { seed: PROPERTY_SEED + 30, numRuns: 1500 },
    );
  });

  it('writes: a session written under a forged header gets a fresh id, never one the client offered', async () => {
    const store = t.app.get(SessionStore);
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => header(real)),
        async ({ list, text }) => {
          const expected = expectedId(list, real);
          const answer = await probe(t.url, 'POST', '/data', { cookie: text, body: { touched: true } });
          expect({ header: text, status: answer.status }).toEqual({ header: text, status: 200 });
          if (expected) {
            // The real session was updated in place: same id, no new cookie.
            expect(answer.body.id).toBe(real.id);
            expect(answer.setCookies).toEqual([]);
            return;
          }
          const fresh = idOfCookie(sessionCookie(answer));
          expect(fresh).toBeDefined();
          expect(answer.body.id).toBeNull();
          expect(text).not.toContain(fresh);
          // No offered id was adopted: none of them has a record now.
          const offered = list.map((p) => p.offeredId).filter((id): id is string => id !== undefined && id !== real.id);
          expect([...(await store.existing(offered))]).toEqual([]);
          await store.delete(fresh!);
        },
      ),
      { seed: PROPERTY_SEED + 31, numRuns: 500 },
    );
    // The real session went through every case intact.
    expect((await probe(t.url, 'GET', '/visit', { cookie: real.pair })).body).toMatchObject({
      id: real.id,
      data: { owner: 'real', touched: true },
    });
  });

  it('oversized headers are refused by the server (431), which keeps serving the real session', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 17 * 1024, max: 96 * 1024 }), fc.boolean(), async (size, realFirst) => {
        const filler = `big=${'x'.repeat(size)}`;
        const text = realFirst ? `${real.pair}; ${filler}` : `${filler}; ${real.pair}`;
        const refused = await probe(t.url, 'GET', '/visit', { cookie: text }).then(
          (answer) => answer.status,
          // The server may close the connection while the client still writes.
          () => 431,
        );
        expect([400, 431]).toContain(refused);
        expect((await probe(t.url, 'GET', '/visit', { cookie: real.pair })).body.id).toBe(real.id);
      }),
      { seed: PROPERTY_SEED + 32, numRuns: 40 },
    );
  });

  it('the app logged nothing at error level and no cookie value', () => {
    const logged = t.log.text();
    expect(t.log.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(logged).not.toContain(real.value.split('.')[1]);
  });
});
