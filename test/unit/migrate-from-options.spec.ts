import { randomBytes } from 'node:crypto';
import { AxessOptionsError, passportValue, resolveAxessOptions, type AxessSessionModuleOptions } from '../../src/internal';

const keys = () => ({ encryptionKey: randomBytes(32), signingKey: randomBytes(32) });
const memory = (migrateFrom: unknown): AxessSessionModuleOptions =>
  ({ store: 'memory', ...keys(), migrateFrom }) as AxessSessionModuleOptions;
const valkey = (migrateFrom: unknown): AxessSessionModuleOptions =>
  ({ connection: { url: 'redis://127.0.0.1:1' }, ...keys(), migrateFrom }) as AxessSessionModuleOptions;
const client = { multi: () => ({}), set: () => Promise.resolve('OK') };

/** The option the boot refused, or `undefined` when it booted. */
function refused(options: AxessSessionModuleOptions): string | undefined {
  try {
    resolveAxessOptions(options);
    return undefined;
  } catch (error) {
    if (!(error instanceof AxessOptionsError)) throw error;
    return error.option;
  }
}

describe('migrateFrom, validated at boot', () => {
  it('is off by default', () => {
    expect(resolveAxessOptions(valkey(undefined)).migrateFrom).toBeUndefined();
  });

  it("applies express-session's and connect-redis's defaults", () => {
    const resolved = resolveAxessOptions(valkey({ expressSession: { secrets: 'old secret' } })).migrateFrom!;
    expect(resolved).toMatchObject({ cookieName: 'connect.sid', prefix: 'sess:', signedPrefix: 's:', secrets: ['old secret'] });
    expect(resolved.userId).toBeUndefined();
  });

  it("applies @fastify/session's defaults: cookie sessionId, no s: before the signed value", () => {
    const resolved = resolveAxessOptions(valkey({ fastifySession: { secrets: ['a', 'b'], prefix: 'app:' } })).migrateFrom!;
    expect(resolved).toMatchObject({ cookieName: 'sessionId', prefix: 'app:', signedPrefix: '', secrets: ['a', 'b'] });
  });

  it.each([
    ['not an object', 'yes', 'migrateFrom'],
    ['no library', {}, 'migrateFrom'],
    ['both libraries', { expressSession: { secrets: 's' }, fastifySession: { secrets: 's' } }, 'migrateFrom'],
    ['a library that is not an object', { expressSession: 'secret' }, 'migrateFrom.expressSession'],
    ['no secrets', { expressSession: {} }, 'migrateFrom.expressSession.secrets'],
    ['an empty secret', { expressSession: { secrets: '' } }, 'migrateFrom.expressSession.secrets'],
    ['an empty list of secrets', { fastifySession: { secrets: [] } }, 'migrateFrom.fastifySession.secrets'],
    ['a secret that is not a string', { expressSession: { secrets: ['ok', 42] } }, 'migrateFrom.expressSession.secrets'],
    ['a cookie name that is no token', { expressSession: { secrets: 's', cookieName: 'a b;' } }, 'migrateFrom.expressSession.cookieName'],
    ['a prefix that is not a string', { expressSession: { secrets: 's', prefix: 7 } }, 'migrateFrom.expressSession.prefix'],
    ['a userId that is not a function', { expressSession: { secrets: 's', userId: 'id' } }, 'migrateFrom.expressSession.userId'],
    ['a client that is not one', { expressSession: { secrets: 's', client: {} } }, 'migrateFrom.expressSession.client'],
  ])('refuses %s, naming the option', (_label, migrateFrom, option) => {
    expect(refused(valkey(migrateFrom))).toBe(option);
  });

  it("refuses store: 'memory' without a client (there is no Valkey to read the legacy sessions from)", () => {
    expect(refused(memory({ expressSession: { secrets: 's' } }))).toBe('migrateFrom.expressSession.client');
    expect(refused(memory({ expressSession: { secrets: 's', client } }))).toBeUndefined();
  });
});

describe('what passport stored in a legacy session', () => {
  it.each([
    ['express-session + passport', { passport: { user: 'alice' } }, 'alice'],
    ['a numeric user', { passport: { user: 42 } }, 42],
    ['@fastify/passport', { passport: 'bob' }, 'bob'],
    ['@fastify/passport with an object', { passport: { id: 7 } }, { id: 7 }],
    ['no passport', { cart: [] }, undefined],
  ])('%s', (_label, data, expected) => {
    expect(passportValue(data)).toEqual(expected);
  });
});
