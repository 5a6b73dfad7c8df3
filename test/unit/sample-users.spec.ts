import { UsersService } from '../../sample/auth/users.service';

// The module object itself (not an import-interop copy), so that spies see the sample's calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeCrypto: typeof import('node:crypto') = require('node:crypto');

/**
 * The sample's password check (finding D): an unknown username must cost the same work as a
 * known one (no user enumeration by timing), and scrypt must run off the event loop. Checked by
 * what is called, not by the clock: each call is one asynchronous scrypt of the same shape (salt
 * length, key length, default cost) and never the synchronous one.
 */
describe('sample UsersService.verify', () => {
  let users: UsersService;

  beforeAll(() => {
    users = new UsersService();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("accepts each user's own password only", async () => {
    expect(await users.verify('alice', 'alice-password')).toEqual({ id: 'alice', username: 'alice' });
    expect(await users.verify('bob', 'bob-password')).toEqual({ id: 'bob', username: 'bob' });
    expect(await users.verify('alice', 'bob-password')).toBeNull();
    expect(await users.verify('alice', '')).toBeNull();
  });

  /** What one verify call hands to scrypt, without the secret parts. */
  async function scryptWork(username: unknown, password: unknown): Promise<{ result: unknown; calls: unknown[][]; syncCalls: number }> {
    const scrypt = jest.spyOn(nodeCrypto, 'scrypt');
    const scryptSync = jest.spyOn(nodeCrypto, 'scryptSync');
    const result = await users.verify(username, password);
    const calls = scrypt.mock.calls.map((args) => [
      typeof args[0],
      (args[1] as Buffer).length,
      args[2],
      args.length,
      typeof args[args.length - 1],
    ]);
    const syncCalls = scryptSync.mock.calls.length;
    jest.restoreAllMocks();
    return { result, calls, syncCalls };
  }

  /** One asynchronous scrypt: a string password, a 16-byte salt, a 32-byte key, no options (node's default cost), a callback. */
  const ONE_ASYNC_SCRYPT = [['string', 16, 32, 4, 'function']];

  it('a known username with a wrong password: one asynchronous scrypt (salt 16 bytes, key 32 bytes, default cost), no synchronous one', async () => {
    const known = await scryptWork('alice', 'wrong-password');
    expect(known.result).toBeNull();
    expect(known.calls).toEqual(ONE_ASYNC_SCRYPT);
    expect(known.syncCalls).toBe(0);
  });

  it.each([
    ['an unknown username', 'mallory', 'wrong-password'],
    ["an unknown username with a real user's password", 'mallory', 'alice-password'],
    ['a username that is an inherited property name', '__proto__', 'x'],
    ['a non-string username', ['alice'], 'alice-password'],
    ['a non-string password', 'alice', { $ne: '' }],
    ['no credentials at all', undefined, undefined],
  ])('%s: refused after exactly the same scrypt work as a known username', async (_label, username, password) => {
    const other = await scryptWork(username, password);
    expect(other.result).toBeNull();
    expect(other.calls).toEqual(ONE_ASYNC_SCRYPT);
    expect(other.syncCalls).toBe(0);
  });

  it('the right password still works while an unknown username is being checked (verification runs concurrently)', async () => {
    const [alice, mallory] = await Promise.all([users.verify('alice', 'alice-password'), users.verify('mallory', 'alice-password')]);
    expect(alice).toEqual({ id: 'alice', username: 'alice' });
    expect(mallory).toBeNull();
  });
});
