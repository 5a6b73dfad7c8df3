import { inspect } from 'node:util';
import type { Logger } from '@nestjs/common';
import { Redis } from 'iovalkey';
import { mintSessionId, ValkeySessionStore, SessionStoreError, type SessionRecord } from '../../src/internal';
import { freePort, startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { withPrivateValkey } from '../harness/valkey-hooks';

/**
 * Error replies from a real valkey-server: those that mean "cannot serve right now" are
 * `connection` failures (the HTTP layer answers 503), and no error keeps the command's
 * arguments (session keys, sealed records) where a log line could print them.
 */

const quiet = { warn: () => undefined, error: () => undefined, log: () => undefined } as unknown as Logger;
const record: SessionRecord = { data: { secret: 'reply-probe-value' }, createdAt: 1_900_000_000_000 };

async function rejection(promise: Promise<unknown>): Promise<SessionStoreError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(SessionStoreError);
  return outcome as SessionStoreError;
}

describe('a replica whose primary is gone (READONLY, MASTERDOWN)', () => {
  let replica: ValkeyTestServer;
  let client: Redis;
  let store: ValkeySessionStore;

  beforeAll(async () => {
    // A primary that never answers: the replica stays read-only with its link down.
    replica = await startValkeyServer({ args: ['--replicaof', '127.0.0.1', String(await freePort())] });
    client = new Redis(replica.url, { maxRetriesPerRequest: 0 });
    store = new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix('ro'), logger: quiet });
  });
  afterAll(async () => {
    client.disconnect();
    await replica.stop();
  });

  it('a save is a connection failure, and the raw reply did carry the key and bytes the error no longer holds', async () => {
    const id = mintSessionId();
    const raw = await client.set(`probe:${id}`, 'raw-probe-bytes').then(
      () => undefined,
      (error: unknown) => error,
    );
    // Without redaction this is what a log of the cause would show.
    expect(inspect(raw, { depth: 10 })).toContain(id);

    const error = await rejection(store.save(id, record, 60_000));
    expect(error.kind).toBe('connection');
    expect(error.message).toMatch(/READONLY/);
    expect(error.cause).toBeInstanceOf(Error);
    const shown = inspect(error, { depth: 10 });
    expect(shown).not.toContain(id);
    expect(shown).not.toContain('reply-probe-value');
  });

  it('with replica-serve-stale-data no, a load is a connection failure (MASTERDOWN)', async () => {
    await client.config('SET', 'replica-serve-stale-data', 'no');
    try {
      const id = mintSessionId();
      // A plain read (GETEX … PX is a write, refused as READONLY first).
      const error = await rejection(store.load(id));
      expect(error.kind).toBe('connection');
      expect(error.message).toMatch(/MASTERDOWN/);
      expect(inspect(error, { depth: 10 })).not.toContain(id);
    } finally {
      await client.config('SET', 'replica-serve-stale-data', 'yes');
    }
  });
});

describe('a server busy in a long script (BUSY)', () => {
  let server: ValkeyTestServer;
  let admin: Redis;
  let scripted: Redis;
  let client: Redis;

  beforeAll(async () => {
    server = await startValkeyServer({ args: ['--busy-reply-threshold', '50'] });
    admin = new Redis(server.url);
    scripted = new Redis(server.url, { maxRetriesPerRequest: 0 });
    client = new Redis(server.url, { maxRetriesPerRequest: 0 });
    await Promise.all([admin.ping(), scripted.ping(), client.ping()]);
  });
  afterAll(async () => {
    admin.disconnect();
    scripted.disconnect();
    client.disconnect();
    await server.stop();
  });

  it('a load while a script runs past the threshold is a connection failure', async () => {
    const store = new ValkeySessionStore(client, randomKey(), { prefix: uniquePrefix('busy'), logger: quiet });
    const spinning = scripted.eval('while true do end', 0).catch((error: unknown) => error);
    // The script runs once the admin connection sees BUSY itself.
    let busy = false;
    while (!busy) {
      busy = await admin.ping().then(
        () => false,
        (error: Error) => error.message.startsWith('BUSY'),
      );
    }
    try {
      const id = mintSessionId();
      const error = await rejection(store.load(id));
      expect(error.kind).toBe('connection');
      expect(error.message).toMatch(/^Valkey load failed: BUSY/);
      expect(inspect(error, { depth: 10 })).not.toContain(id);
    } finally {
      await admin.script('KILL');
      await spinning;
    }
    // Once the script is killed, the same store serves again.
    expect(await store.load(mintSessionId())).toBeNull();
  });
});

describe('a genuine command failure stays `command`', () => {
  const valkey = withPrivateValkey();

  it('a session key holding another type (WRONGTYPE) fails as command, without the key in the error', async () => {
    const prefix = uniquePrefix('wt');
    const store = new ValkeySessionStore(valkey.client, randomKey(), { prefix, logger: quiet });
    const id = mintSessionId();
    await valkey.client.zadd(`${prefix}:sess:${id}`, 1, 'member');
    const error = await rejection(store.load(id, { refreshTtlMs: 1_000 }));
    expect(error.kind).toBe('command');
    expect(error.message).toMatch(/WRONGTYPE/);
    expect(inspect(error, { depth: 10 })).not.toContain(id);
  });
});
