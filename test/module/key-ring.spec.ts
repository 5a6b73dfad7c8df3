import { Test } from '@nestjs/testing';
import { Redis } from 'iovalkey';
import { AxessSessionModule, SessionStore, type AxessSessionModuleOptions } from '../../src/index';
import { startValkeyServer } from '../../src/testing';
import { randomKey, testClient, testValkeyUrl, uniquePrefix } from '../harness/valkey';

/**
 * One key ring per prefix: two deployments on one Valkey and one prefix with no key in common
 * would evict and revoke each other's sessions and read each other's records as undecryptable.
 * The second one to boot refuses, naming the prefix; a rotation shares a key and boots.
 */

type Keys = Pick<AxessSessionModuleOptions, 'encryptionKey' | 'previousEncryptionKeys' | 'plaintext'>;

async function boot(prefix: string, keys: Keys, url = testValkeyUrl()) {
  const ref = await Test.createTestingModule({
    imports: [AxessSessionModule.forRoot({ connection: { url }, prefix, signingKey: randomKey(), ...keys })],
  }).compile();
  return ref.createNestApplication({ logger: false }).init();
}

async function bootError(prefix: string, keys: Keys): Promise<unknown> {
  return boot(prefix, keys).then(
    async (app) => {
      await app.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe('one key ring per prefix', () => {
  const client = testClient();
  afterAll(() => client.quit());

  it('a second deployment with other keys on the same prefix refuses to boot, naming the prefix; the first keeps working', async () => {
    const prefix = uniquePrefix('ring');
    const first = await boot(prefix, { encryptionKey: randomKey() });
    try {
      const error = await bootError(prefix, { encryptionKey: randomKey() });
      expect(error).toMatchObject({ name: 'AxessOptionsError', option: 'prefix' });
      expect((error as Error).message).toContain(prefix);
      expect((error as Error).message).toMatch(/previousEncryptionKeys/);
      const store = first.get(SessionStore);
      const id = 'A'.repeat(31) + 'B';
      expect(await store.save(id, { data: { still: 'mine' }, createdAt: 1 }, 60_000)).toBe(true);
      expect((await store.load(id))?.data).toEqual({ still: 'mine' });
    } finally {
      await first.close();
    }
  });

  it('a rotation boots at every step: current K1; then K2 with K1 as previous; then K2 alone', async () => {
    const prefix = uniquePrefix('ring');
    const [k1, k2] = [randomKey(), randomKey()];
    for (const keys of [{ encryptionKey: k1 }, { encryptionKey: k2, previousEncryptionKeys: [k1] }, { encryptionKey: k2 }]) {
      const app = await boot(prefix, keys);
      await app.close();
    }
    // An instance still on K1 alone (not yet redeployed) shares K1 with the ring and boots too.
    await (await boot(prefix, { encryptionKey: k1 })).close();
  });

  it('the same keys boot again and again; other prefixes are independent', async () => {
    const key = randomKey();
    const prefix = uniquePrefix('ring');
    for (let i = 0; i < 3; i++) await (await boot(prefix, { encryptionKey: key })).close();
    await (await boot(uniquePrefix('ring'), { encryptionKey: randomKey() })).close();
  });

  it('plaintext and encrypted deployments do not share a prefix', async () => {
    const prefix = uniquePrefix('ring');
    await (await boot(prefix, { encryptionKey: randomKey() })).close();
    expect(await bootError(prefix, { plaintext: true })).toMatchObject({ name: 'AxessOptionsError', option: 'prefix' });
  });

  it('what Valkey holds is a fingerprint per key, never the key', async () => {
    const prefix = uniquePrefix('ring');
    const [k1, k2] = [randomKey(), randomKey()];
    await (await boot(prefix, { encryptionKey: k2, previousEncryptionKeys: [k1] })).close();
    const members = await client.smembers(`${prefix}:keyring`);
    expect(members).toHaveLength(2);
    for (const member of members) {
      expect(member).toMatch(/^[0-9a-f]{32}$/);
      for (const key of [k1, k2]) {
        for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(key.toString(encoding)).not.toContain(member);
      }
    }
    expect(await client.pttl(`${prefix}:keyring`)).toBeGreaterThan(80 * 24 * 3600 * 1000);
  });

  it('with Valkey down at boot the check is skipped (the app boots, and answers 503 until Valkey is back)', async () => {
    const server = await startValkeyServer();
    const url = server.url;
    await server.stop();
    const ref = await Test.createTestingModule({
      imports: [
        AxessSessionModule.forRoot({
          connection: { url },
          prefix: uniquePrefix('ring'),
          encryptionKey: randomKey(),
          signingKey: randomKey(),
          commandTimeoutMs: 300,
        }),
      ],
    }).compile();
    const warnings: string[] = [];
    const app = ref.createNestApplication({ logger: { log() {}, error() {}, warn: (m: unknown) => void warnings.push(String(m)) } });
    await app.init();
    expect(warnings.some((w) => w.includes('key ring'))).toBe(true);
    await app.close();
  });

  it('a refused boot leaves no connection behind', async () => {
    const prefix = uniquePrefix('ring');
    await (await boot(prefix, { encryptionKey: randomKey() })).close();
    const name = `refused-${uniquePrefix()}`;
    const ref = await Test.createTestingModule({
      imports: [
        AxessSessionModule.forRoot({
          connection: { url: testValkeyUrl(), connectionName: name },
          prefix,
          encryptionKey: randomKey(),
          signingKey: randomKey(),
        }),
      ],
    }).compile();
    await expect(ref.createNestApplication({ logger: false }).init()).rejects.toMatchObject({ option: 'prefix' });
    const probe = new Redis(testValkeyUrl());
    let clients = '';
    for (let i = 0; i < 20; i++) {
      clients = String(await probe.call('CLIENT', 'LIST'));
      if (!clients.includes(`name=${name}`)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await probe.quit();
    expect(clients).not.toContain(`name=${name}`);
    // Nor a subscriber for cross-instance events: it starts only once the boot got through init.
    expect(clients).not.toContain(`name=axess-sub:${prefix}:events`);
  });
});
