import type { Logger } from '@nestjs/common';
import {
  AesGcmSessionCipher,
  mintSessionId,
  SessionRecordCodec,
  ValkeySessionStore,
  SessionStoreError,
  type SessionRecord,
  type UnreadableRecordHook,
  type ValkeySessionStoreOptions,
} from '../../src/internal';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';
import { withTestClient } from '../harness/valkey-hooks';

/** A logger that keeps what it was told, so tests can assert on warnings. */
function captureLogger() {
  const lines = { warn: [] as string[], error: [] as string[], log: [] as string[] };
  const logger = {
    warn: (message: unknown) => void lines.warn.push(String(message)),
    error: (message: unknown) => void lines.error.push(String(message)),
    log: (message: unknown) => void lines.log.push(String(message)),
    debug: () => undefined,
    verbose: () => undefined,
    fatal: (message: unknown) => void lines.error.push(String(message)),
  } as unknown as Logger;
  return { logger, lines };
}

const TTL = 60_000;

/** A record whose every field is a string that must never be readable at rest. */
const secretRecord = (): SessionRecord => ({
  createdAt: 1_900_000_000_000,
  userId: 'user-4f1d9c2a-rest-check',
  authenticatedAt: 1_900_000_000_500,
  ip: '198.51.100.77',
  userAgent: 'SecretBrowser/9.9 (at-rest probe)',
  data: { email: 'alice.at.rest@example.test', role: 'superadmin-marker', nested: { note: 'nested-plaintext-marker' } },
});

const plaintextValues = (r: SessionRecord): string[] => [
  r.userId!,
  r.ip!,
  r.userAgent!,
  (r.data as { email: string }).email,
  (r.data as { role: string }).role,
  (r.data as { nested: { note: string } }).nested.note,
  'email',
  'nested',
];

describe('ValkeySessionStore at rest (real valkey-server)', () => {
  let prefix: string;
  let unreadable: jest.MockedFunction<UnreadableRecordHook>;
  let captured: ReturnType<typeof captureLogger>;

  const options = (extra: ValkeySessionStoreOptions = {}): ValkeySessionStoreOptions => ({
    prefix,
    onUnreadable: unreadable,
    logger: captured.logger,
    ...extra,
  });
  const keyOf = (id: string) => `${prefix}:sess:${id}`;

  const valkey = withTestClient();
  beforeEach(() => {
    prefix = uniquePrefix('rest');
    unreadable = jest.fn();
    captured = captureLogger();
  });

  describe('key layout', () => {
    it('writes exactly one key, `{prefix}:sess:{id}`, a string with a PX expiry within the ttl', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      const id = mintSessionId();
      await store.save(id, secretRecord(), TTL);

      expect(await valkey.client.keys(`${prefix}*`)).toEqual([keyOf(id)]);
      expect(await valkey.client.type(keyOf(id))).toBe('string');
      const pttl = await valkey.client.pttl(keyOf(id));
      expect(pttl).toBeGreaterThan(TTL - 10_000);
      expect(pttl).toBeLessThanOrEqual(TTL);
    });

    it('uses the default prefix `axess` when none is given', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), { logger: captured.logger });
      const id = mintSessionId();
      await store.save(id, secretRecord(), TTL);
      try {
        expect(await valkey.client.exists(`axess:sess:${id}`)).toBe(1);
      } finally {
        await valkey.client.del(`axess:sess:${id}`);
      }
    });

    it('keeps a sub-second ttl in milliseconds (PX, not EX)', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      const id = mintSessionId();
      await store.save(id, secretRecord(), 1_500);
      const pttl = await valkey.client.pttl(keyOf(id));
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(1_500);
    });
  });

  describe('no plaintext at rest (I4)', () => {
    it('the encrypted store leaves no field value in the raw bytes', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      const id = mintSessionId();
      const record = secretRecord();
      await store.save(id, record, TTL);

      const raw = await valkey.client.getBuffer(keyOf(id));
      expect(raw).not.toBeNull();
      for (const value of plaintextValues(record)) {
        expect(raw!.includes(Buffer.from(value, 'utf8'))).toBe(false);
      }
      // And it is what the store says it is: the same record comes back.
      expect(await store.load(id)).toEqual(record);
      expect(captured.lines.warn).toEqual([]);
    });

    it('the plaintext store (explicit opt-in) stores readable bytes and warns about it', async () => {
      const store = ValkeySessionStore.plaintext(valkey.client, options());
      expect(captured.lines.warn).toHaveLength(1);
      expect(captured.lines.warn[0]).toMatch(/plaintext/i);

      const id = mintSessionId();
      const record = secretRecord();
      await store.save(id, record, TTL);
      const raw = await valkey.client.getBuffer(keyOf(id));
      for (const value of plaintextValues(record)) {
        expect(raw!.includes(Buffer.from(value, 'utf8'))).toBe(true);
      }
      expect(new SessionRecordCodec().decode(raw!)).toEqual(record);
      expect(await store.load(id)).toEqual(record);
      expect(captured.lines.warn).toHaveLength(1);
    });
  });

  describe('key rotation', () => {
    it('loads a record written with K1 through a store on K2 with K1 as previous, and re-seals it with K2 on the next save', async () => {
      const [k1, k2] = [randomKey(), randomKey()];
      const id = mintSessionId();
      const record = secretRecord();
      const sealedWith = async (key: Buffer) => {
        const raw = await valkey.client.getBuffer(keyOf(id));
        try {
          new AesGcmSessionCipher(key).open(id, raw!);
          return true;
        } catch (error) {
          expect(error).toBeInstanceOf(SessionStoreError);
          expect((error as SessionStoreError).kind).toBe('decrypt');
          return false;
        }
      };

      await new ValkeySessionStore(valkey.client, k1, options()).save(id, record, TTL);
      expect(await sealedWith(k1)).toBe(true);
      expect(await sealedWith(k2)).toBe(false);

      const rotated = ValkeySessionStore.encryptedWithRotation(valkey.client, k2, k1, options());
      const loaded = await rotated.load(id);
      expect(loaded).toEqual(record);
      // Reading alone does not rewrite anything.
      expect(await sealedWith(k1)).toBe(true);

      await rotated.save(id, { ...loaded!, data: { ...loaded!.data, visits: 2 } }, TTL);
      expect(await sealedWith(k1)).toBe(false);
      expect(await sealedWith(k2)).toBe(true);
      // A store that knows only K2 now reads it: K1 can be retired.
      expect((await new ValkeySessionStore(valkey.client, k2, options()).load(id))?.data).toMatchObject({ visits: 2 });
      expect(unreadable).not.toHaveBeenCalled();
    });

    it('a store that only has K2 does not read a record still sealed with K1 (no session, reported as decrypt)', async () => {
      const [k1, k2] = [randomKey(), randomKey()];
      const id = mintSessionId();
      await new ValkeySessionStore(valkey.client, k1, options()).save(id, secretRecord(), TTL);
      expect(await new ValkeySessionStore(valkey.client, k2, options()).load(id)).toBeNull();
      expect(unreadable).toHaveBeenCalledWith(id, expect.objectContaining({ kind: 'decrypt' }));
    });
  });

  describe('attacks on stored bytes', () => {
    it('a blob copied with COPY onto another session key does not load there, and the source still does', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      const [victim, attacker] = [mintSessionId(), mintSessionId()];
      await store.save(victim, secretRecord(), TTL);
      await store.save(attacker, { data: { mine: true }, createdAt: 1 }, TTL);

      expect(await valkey.client.copy(keyOf(victim), keyOf(attacker), 'REPLACE')).toBe(1);
      expect(await store.load(attacker)).toBeNull();
      expect(unreadable).toHaveBeenCalledTimes(1);
      expect(unreadable).toHaveBeenCalledWith(attacker, expect.objectContaining({ kind: 'decrypt' }));
      expect(await store.load(victim)).toEqual(secretRecord());
    });

    it('a blob copied with SET onto a fresh session key does not load there', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      const [victim, forged] = [mintSessionId(), mintSessionId()];
      await store.save(victim, secretRecord(), TTL);
      await valkey.client.set(keyOf(forged), (await valkey.client.getBuffer(keyOf(victim)))!, 'PX', TTL);

      expect(await store.load(forged)).toBeNull();
      expect(await store.load(forged, { refreshTtlMs: TTL })).toBeNull();
      expect(unreadable).toHaveBeenCalledTimes(2);
      for (const [id, error] of unreadable.mock.calls) {
        expect(id).toBe(forged);
        expect(error).toBeInstanceOf(SessionStoreError);
        expect(error.kind).toBe('decrypt');
      }
    });

    it.each([
      ['a nonce byte', 3],
      ['the first ciphertext byte', 12],
      ['a tag byte', -5],
    ])('%s changed in place with SETRANGE → no session, reported as decrypt', async (_label, offset) => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      const id = mintSessionId();
      await store.save(id, secretRecord(), TTL);
      const raw = (await valkey.client.getBuffer(keyOf(id)))!;
      const at = offset < 0 ? raw.length + offset : offset;
      await valkey.client.setrange(keyOf(id), at, Buffer.from([raw[at] ^ 0x01]));
      expect((await valkey.client.getBuffer(keyOf(id)))!.equals(raw)).toBe(false);

      expect(await store.load(id)).toBeNull();
      expect(unreadable).toHaveBeenCalledWith(id, expect.objectContaining({ kind: 'decrypt' }));
      expect(captured.lines.warn.join('\n')).toContain('decrypt');
    });

    it('a blob cut to 12 bytes (nonce only) → no session, reported as decrypt', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      const id = mintSessionId();
      await store.save(id, secretRecord(), TTL);
      const raw = (await valkey.client.getBuffer(keyOf(id)))!;
      await valkey.client.set(keyOf(id), raw.subarray(0, 12), 'PX', TTL);
      expect(await store.load(id)).toBeNull();
      expect(unreadable).toHaveBeenCalledWith(id, expect.objectContaining({ kind: 'decrypt' }));
    });

    it('an undecodable record in the plaintext store → no session, reported as codec', async () => {
      const store = ValkeySessionStore.plaintext(valkey.client, options());
      const id = mintSessionId();
      await valkey.client.set(keyOf(id), Buffer.from([0x97, 0x01, 0xc1, 0xff, 0x00]), 'PX', TTL);
      expect(await store.load(id)).toBeNull();
      expect(unreadable).toHaveBeenCalledWith(id, expect.objectContaining({ kind: 'codec' }));
    });

    it('valid MessagePack of the wrong shape in the plaintext store → no session, reported as codec', async () => {
      const store = ValkeySessionStore.plaintext(valkey.client, options());
      const id = mintSessionId();
      await valkey.client.set(keyOf(id), Buffer.from([0x93, 0x02, 0x00, 0xc0]), 'PX', TTL); // [2, 0, nil]
      expect(await store.load(id)).toBeNull();
      expect(unreadable).toHaveBeenCalledWith(id, expect.objectContaining({ kind: 'codec' }));
    });

    it('a hook that throws does not turn "no session" into a failure', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), {
        ...options(),
        onUnreadable: () => {
          throw new Error('observer bug');
        },
      });
      const id = mintSessionId();
      await valkey.client.set(keyOf(id), Buffer.alloc(40, 1), 'PX', TTL);
      expect(await store.load(id)).toBeNull();
      expect(captured.lines.error.join('\n')).toContain('observer bug');
    });
  });

  describe('load: decrypt, codec and payload-too-large on read are "no session"; connection and command errors throw', () => {
    it('decrypt → null (hook kind decrypt)', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      const id = mintSessionId();
      await valkey.client.set(keyOf(id), Buffer.alloc(64, 7), 'PX', TTL);
      await expect(store.load(id)).resolves.toBeNull();
      expect(unreadable).toHaveBeenLastCalledWith(id, expect.objectContaining({ kind: 'decrypt' }));
    });

    it('codec → null (hook kind codec)', async () => {
      const store = ValkeySessionStore.plaintext(valkey.client, options());
      const id = mintSessionId();
      await valkey.client.set(keyOf(id), Buffer.from('not msgpack at all'), 'PX', TTL);
      await expect(store.load(id)).resolves.toBeNull();
      expect(unreadable).toHaveBeenLastCalledWith(id, expect.objectContaining({ kind: 'codec' }));
    });

    it('payload-too-large on read → null (hook kind payload-too-large)', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options({ maxPayloadBytes: 256 }));
      const id = mintSessionId();
      await valkey.client.set(keyOf(id), Buffer.alloc(257, 7), 'PX', TTL);
      await expect(store.load(id)).resolves.toBeNull();
      expect(unreadable).toHaveBeenLastCalledWith(id, expect.objectContaining({ kind: 'payload-too-large' }));
    });

    it('a WRONGTYPE key (a list made with LPUSH at the session key) → throws SessionStoreError kind command with the reply as cause', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      const id = mintSessionId();
      await valkey.client.lpush(keyOf(id), 'intruder');
      for (const load of [() => store.load(id), () => store.load(id, { refreshTtlMs: TTL })]) {
        const error = await load().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(SessionStoreError);
        expect((error as SessionStoreError).kind).toBe('command');
        expect(((error as SessionStoreError).cause as Error).message).toMatch(/WRONGTYPE/);
      }
      expect(unreadable).not.toHaveBeenCalled();
    });

    it('a connection failure → throws SessionStoreError kind connection (the client is closed here; see unreachable-valkey.spec for a dead server)', async () => {
      const closed = testClient({ lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
      const store = new ValkeySessionStore(closed, randomKey(), options());
      await expect(store.load(mintSessionId())).rejects.toMatchObject({ name: 'SessionStoreError', kind: 'connection' });
      closed.disconnect();
    });

    it('a bad refreshTtlMs is an argument error, not a connection error', async () => {
      const store = new ValkeySessionStore(valkey.client, randomKey(), options());
      for (const ttl of [0, -1, 1.5, Number.NaN]) {
        await expect(store.load(mintSessionId(), { refreshTtlMs: ttl })).rejects.toMatchObject({
          name: 'AxessArgumentError',
          argument: 'refreshTtlMs',
        });
      }
    });
  });
});
