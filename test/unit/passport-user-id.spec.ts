import { randomBytes } from 'node:crypto';
import { resolveAxessOptions, type AxessSessionModuleOptions } from '../../src/internal';

const keys = { store: 'memory' as const, encryptionKey: randomBytes(32), signingKey: randomBytes(32) };
const userIdOf = (options: Partial<AxessSessionModuleOptions> = {}) => resolveAxessOptions({ ...keys, ...options }).passportUserId;

describe('passportUserId: the user id of a session passport signed in, from what serializeUser stored', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a string id', 'alice', 'alice'],
    ['a number id', 42, '42'],
    ['a user object with id', { id: 7, name: 'x' }, '7'],
    ['a JWT-like object with sub', { sub: 'u-1' }, 'u-1'],
    ["the NestJS docs' user object (userId)", { userId: 1, username: 'john' }, '1'],
    ['an object without an id', { username: 'john' }, undefined],
    ['an empty string', '', undefined],
    ['a boolean', true, undefined],
    ['null', null, undefined],
  ])('by default reads %s', (_label, serialized, expected) => {
    expect(userIdOf()(serialized)).toBe(expected);
  });

  it('reads an object through userIdFrom first', () => {
    expect(userIdOf({ userIdFrom: (u) => (u as { email: string }).email })({ email: 'a@b.c', userId: 1 })).toBe('a@b.c');
  });

  it('takes a function of the app; a value that is not an id is none', () => {
    const read = userIdOf({ passportUserId: (s) => (s as { uid: number }).uid });
    expect(read({ uid: 9 })).toBe('9');
    expect(read({})).toBeUndefined();
    expect(userIdOf({ passportUserId: () => ({}) as unknown as string })('x')).toBeUndefined();
  });
});
