import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AxessOptionsError,
  AxessSessionModule,
  AxessSessionService,
  mintSessionId,
  SessionRegistry,
  SessionStore,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { randomKey, testValkeyUrl, uniquePrefix } from '../harness/valkey';

/** The session module alone, without the HTTP layer. */
async function instance(options: Partial<AxessSessionModuleOptions>): Promise<INestApplicationContext> {
  const ref = await Test.createTestingModule({ imports: [AxessSessionModule.forRoot({ mountMiddleware: false, ...options })] }).compile();
  return ref.init();
}

const BACKENDS: Array<[string, () => Partial<AxessSessionModuleOptions>]> = [
  ['valkey', () => ({ connection: { url: testValkeyUrl() }, prefix: uniquePrefix('handles') })],
  ['memory', () => ({ store: 'memory' })],
];

describe.each(BACKENDS)('session handles (%s)', (_backend, backend) => {
  const signingKey = randomKey();
  let app: INestApplicationContext;
  let sessions: AxessSessionService;

  beforeAll(async () => {
    app = await instance({ ...backend(), encryptionKey: randomKey(), signingKey });
    sessions = app.get(AxessSessionService);
  });

  afterAll(async () => {
    await app?.close();
  });

  /** `count` live sessions of `user`, registered oldest first. */
  async function signedIn(user: string, count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => mintSessionId());
    for (const id of ids) {
      await app.get(SessionStore).save(id, { data: {}, createdAt: Date.now(), userId: user }, 600_000);
      await app.get(SessionRegistry).register(user, id);
    }
    return ids;
  }
  const user = (name: string) => `${name}-${mintSessionId().slice(0, 6)}`;
  const alive = async (ids: string[]) => (await app.get(SessionStore).existing(ids)).size;

  it('listSessions names each session by its handle, never by its id', async () => {
    const alice = user('alice');
    const ids = await signedIn(alice, 2);
    const listed = await sessions.listSessions(alice, ids[1]);
    expect(listed.map((s) => [s.handle, s.current])).toEqual([
      [sessions.sessionHandle(ids[0]), false],
      [sessions.sessionHandle(ids[1]), true],
    ]);
    const text = JSON.stringify(listed);
    for (const id of ids) expect(text).not.toContain(id);
    expect(listed[0]).not.toHaveProperty('id');
  });

  it('a handle is stable: listed twice, and on another instance with the same signing key, it is the same', async () => {
    const alice = user('alice');
    const ids = await signedIn(alice, 1);
    const first = (await sessions.listSessions(alice))[0].handle;
    expect((await sessions.listSessions(alice))[0].handle).toBe(first);
    const other = await instance({ store: 'memory', encryptionKey: randomKey(), signingKey });
    const elsewhere = await instance({ store: 'memory', encryptionKey: randomKey(), signingKey: randomKey() });
    try {
      expect(other.get(AxessSessionService).sessionHandle(ids[0])).toBe(first);
      expect(elsewhere.get(AxessSessionService).sessionHandle(ids[0])).not.toBe(first);
    } finally {
      await other.close();
      await elsewhere.close();
    }
  });

  it('revokeByHandle revokes the session a listing named, and only that one', async () => {
    const alice = user('alice');
    const ids = await signedIn(alice, 3);
    const listed = await sessions.listSessions(alice, ids[2]);
    expect(await sessions.revokeByHandle(alice, listed[1].handle)).toBe(true);
    expect(await app.get(SessionStore).load(ids[1])).toBeNull();
    expect(await alive([ids[0], ids[2]])).toBe(2);
    expect((await sessions.listSessions(alice)).map((s) => s.handle)).toEqual([listed[0].handle, listed[2].handle]);
    // Its handle names nothing any more.
    expect(await sessions.revokeByHandle(alice, listed[1].handle)).toBe(false);
  });

  it("another user's handle revokes nothing (IDOR): false, and that session lives on", async () => {
    const alice = user('alice');
    const mallory = user('mallory');
    const [victim] = await signedIn(alice, 1);
    await signedIn(mallory, 1);
    const handle = (await sessions.listSessions(alice))[0].handle;
    expect(await sessions.revokeByHandle(mallory, handle)).toBe(false);
    expect(await alive([victim])).toBe(1);
    expect(await sessions.listSessions(alice)).toHaveLength(1);
  });

  it.each([
    ['the raw session id', (id: string) => id],
    ['an empty string', () => ''],
    ['a handle with one character changed', (id: string, s: AxessSessionService) => s.sessionHandle(id).slice(0, -2) + '__'],
    ['a handle of the right shape naming nothing', () => 'A'.repeat(22)],
    ['key syntax', () => '{x}:sess:*'],
    ['a megabyte', () => 'A'.repeat(1 << 20)],
    ['not a string', () => 42 as unknown as string],
  ])('%s: false, never a throw, nothing revoked', async (_label, handleFor) => {
    const alice = user('alice');
    const ids = await signedIn(alice, 2);
    await expect(sessions.revokeByHandle(alice, handleFor(ids[0], sessions))).resolves.toBe(false);
    expect(await alive(ids)).toBe(2);
  });

  it('sessionHandle of something that is not a session id: InvalidIdentifierError', () => {
    expect(() => sessions.sessionHandle('*')).toThrow(/Invalid sessionId/);
  });
});

describe('session handles without a signing key (store-only use)', () => {
  let app: INestApplicationContext;

  beforeAll(async () => {
    app = await instance({ store: 'memory', encryptionKey: randomKey() });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('listSessions, revokeByHandle and sessionHandle say that signingKey is needed', async () => {
    const sessions = app.get(AxessSessionService);
    await expect(sessions.listSessions('alice')).rejects.toThrow(AxessOptionsError);
    await expect(sessions.listSessions('alice')).rejects.toThrow(/signingKey/);
    await expect(sessions.revokeByHandle('alice', 'A'.repeat(22))).rejects.toThrow(AxessOptionsError);
    expect(() => sessions.sessionHandle(mintSessionId())).toThrow(AxessOptionsError);
  });

  it('revokeSession by id still works without one', async () => {
    const id = mintSessionId();
    await app.get(SessionStore).save(id, { data: {}, createdAt: Date.now(), userId: 'alice' }, 600_000);
    await app.get(SessionRegistry).register('alice', id);
    expect(await app.get(AxessSessionService).revokeSession('alice', id)).toBe(true);
  });
});
