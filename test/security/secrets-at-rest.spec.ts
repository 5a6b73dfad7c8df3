import type { Redis } from 'iovalkey';
import type { ValkeyTestServer } from '../../src/testing';
import { probe, sessionCookie, startProbeApp, type ProbeApp } from '../harness/probe-app';
import { randomKey } from '../harness/valkey';
import { withPrivateValkey } from '../harness/valkey-hooks';

/**
 * Invariant I4 after a full run of the app on its own Valkey: browse anonymously, log in on two
 * devices (one evicted by the cap), store data, browse, log out. Then every key in the instance
 * is read (SCAN, then GET / ZRANGE by type): no session field value or data key appears in any
 * value, in plain, base64 or hex; the user id appears only in its registry key's name. The same
 * run with the plaintext opt-in shows the check would see them, and that it warned.
 */

const USER = 'rest-probe-user-7c1f';
const AGENT = 'RestProbeAgent/4.2 (agent-marker-91d3)';
/** What the app stores, field name → value: every one of them is a secret at rest. */
const DATA = {
  emailAddressField: 'alice.rest.probe@example.test',
  accessTokenField: 'tok_9f8e7d6c5b4a39281706',
  cartField: ['sku-rest-probe-1', 'sku-rest-probe-2'],
  noteField: 'unicode ✓ über-secret 秘密',
  nestedField: { deepSecretField: 'nested-rest-probe-value' },
};
const ANONYMOUS = { anonymousCartField: 'pre-login-cart-marker' };

/** Every string that must not be readable at rest. */
function secrets(): string[] {
  const strings: string[] = [AGENT];
  const walk = (value: unknown, key?: string) => {
    if (key) strings.push(key);
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk({ ...DATA, ...ANONYMOUS });
  return strings;
}

/** Every key of the instance, with every byte it holds. */
async function dumpEveryKey(client: Redis): Promise<Array<{ key: string; type: string; bytes: Buffer[] }>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  const dump: Array<{ key: string; type: string; bytes: Buffer[] }> = [];
  for (const key of keys) {
    const type = await client.type(key);
    if (type === 'string') dump.push({ key, type, bytes: [(await client.getBuffer(key))!] });
    else if (type === 'zset') dump.push({ key, type, bytes: await client.zrangeBuffer(key, 0, -1, 'WITHSCORES') });
    else if (type === 'set') dump.push({ key, type, bytes: await client.smembersBuffer(key) });
    else throw new Error(`unexpected key type ${type} for ${key}`);
  }
  return dump;
}

/** The places `secret` can be found, in any common encoding. */
function leaks(dump: Array<{ key: string; bytes: Buffer[] }>, secret: string): string[] {
  const forms = [
    Buffer.from(secret, 'utf8'),
    Buffer.from(Buffer.from(secret).toString('base64')),
    Buffer.from(Buffer.from(secret).toString('hex')),
  ];
  const found: string[] = [];
  for (const { key, bytes } of dump) {
    if (key.includes(secret)) found.push(`key name ${key}`);
    for (const value of bytes) if (forms.some((form) => value.includes(form))) found.push(`value of ${key}`);
  }
  return found;
}

/** An app over `server` with a cap of one session per user. */
function appOn(server: ValkeyTestServer, extra: { plaintext?: boolean } = {}): Promise<ProbeApp> {
  return startProbeApp({
    connection: { url: server.url },
    maxSessionsPerUser: 1,
    signingKey: randomKey(),
    ...(extra.plaintext ? { plaintext: true } : { encryptionKey: randomKey() }),
  });
}

/** The whole user journey. */
async function journey(t: ProbeApp): Promise<void> {
  const headers = { 'user-agent': AGENT };
  const anonymous = sessionCookie(await probe(t.url, 'POST', '/data', { headers, body: ANONYMOUS }))!;
  // Device 1 logs in over its anonymous session, stores data, browses.
  const device1 = sessionCookie(await probe(t.url, 'POST', '/login', { cookie: anonymous, headers: { ...headers, 'x-user': USER } }))!;
  expect((await probe(t.url, 'POST', '/data', { cookie: device1, headers, body: DATA })).status).toBe(200);
  // The cart gathered before the login came along.
  for (let i = 0; i < 3; i++)
    expect((await probe(t.url, 'GET', '/me', { cookie: device1, headers })).body.data).toEqual({ ...ANONYMOUS, ...DATA });
  // Device 2 logs in: the cap of 1 evicts device 1 (leaving a marker saying why).
  const device2 = sessionCookie(await probe(t.url, 'POST', '/login', { headers: { ...headers, 'x-user': USER } }))!;
  expect((await probe(t.url, 'GET', '/me', { cookie: device1, headers })).status).toBe(401);
  expect((await probe(t.url, 'POST', '/data', { cookie: device2, headers, body: DATA })).status).toBe(200);
  expect((await probe(t.url, 'GET', '/me', { cookie: device2, headers })).body).toMatchObject({ userId: USER, data: DATA });
  // A third device logs in, then logs out.
  const device3 = sessionCookie(await probe(t.url, 'POST', '/login', { headers: { ...headers, 'x-user': USER } }))!;
  expect((await probe(t.url, 'POST', '/data', { cookie: device3, headers, body: DATA })).status).toBe(200);
  expect((await probe(t.url, 'POST', '/logout', { cookie: device3, headers })).status).toBe(200);
  // And one more stays logged in with its data.
  const device4 = sessionCookie(await probe(t.url, 'POST', '/login', { headers: { ...headers, 'x-user': USER } }))!;
  expect((await probe(t.url, 'POST', '/data', { cookie: device4, headers, body: DATA })).status).toBe(200);
}

describe('secrets at rest after a full e2e run on a private Valkey', () => {
  const valkey = withPrivateValkey({ scope: 'each' });

  it('encrypted (the default): no field value or data key in any key or value; the user id only in its registry key name', async () => {
    const t = await appOn(valkey.server);
    try {
      await journey(t);
      const dump = await dumpEveryKey(valkey.client);
      // The run left sessions, a registry and (evicted) markers behind: the scan saw real data.
      expect(dump.some((k) => k.key.includes(':sess:'))).toBe(true);
      expect(dump.some((k) => k.key.includes(':reg:'))).toBe(true);
      const found = Object.fromEntries(secrets().map((s) => [s, leaks(dump, s)]));
      expect(found).toEqual(Object.fromEntries(secrets().map((s) => [s, []])));
      expect(leaks(dump, USER)).toEqual([`key name axess:reg:${USER}`]);
      // Nothing about sessions was logged in plain either.
      const logged = t.log.text();
      for (const secret of [...secrets(), USER]) expect(logged).not.toContain(secret);
      // No warning about plaintext on the default path.
      expect(logged).not.toMatch(/PLAINTEXT/);
    } finally {
      await t.close();
    }
  });

  it('the plaintext opt-in warns at boot, and the same scan does find the values (the check can fail)', async () => {
    const t = await appOn(valkey.server, { plaintext: true });
    try {
      await journey(t);
      expect(t.log.lines.filter((l) => l.level === 'warn' && /PLAINTEXT/.test(l.text))).toHaveLength(1);
      const dump = await dumpEveryKey(valkey.client);
      expect(leaks(dump, DATA.accessTokenField).length).toBeGreaterThan(0);
      expect(leaks(dump, DATA.nestedField.deepSecretField).length).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });
});
