import type { ExecutionContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  CookieSigner,
  defaultRememberMeFrom,
  mintSessionId,
  resolveAxessOptions,
  SessionCookie,
  type AxessSessionModuleOptions,
} from '../../src/internal';

const keys = { store: 'memory' as const, encryptionKey: randomBytes(32), signingKey: randomBytes(32) };
const resolve = (options: Partial<AxessSessionModuleOptions> = {}) => resolveAxessOptions({ ...keys, ...options });
const refused = (options: Partial<AxessSessionModuleOptions>, option: string, message?: RegExp) =>
  expect(() => resolve(options)).toThrow(
    expect.objectContaining({ name: 'AxessOptionsError', option, ...(message ? { message: expect.stringMatching(message) } : {}) }),
  );

/** A request as the framework leaves it: Express's `req.protocol` says whether it came over TLS. */
const request = (protocol: 'http' | 'https') => ({ protocol, headers: { host: 'localhost' }, socket: {} }) as unknown as IncomingMessage;

describe('secure defaults: timeouts (NIST SP 800-63B AAL2)', () => {
  it('are 30 min idle and 12 h absolute; anonymous min(15 min, idle); remembered 7 d / 30 d', () => {
    const o = resolve();
    expect(o).toMatchObject({ idleTimeoutMs: 1_800_000, absoluteTimeoutMs: 43_200_000, anonymousIdleTimeoutMs: 900_000 });
    expect(o.rememberMe).toMatchObject({ idleTimeoutMs: 604_800_000, absoluteTimeoutMs: 2_592_000_000 });
    expect(resolve({ idleTimeoutMs: 600_000 }).anonymousIdleTimeoutMs).toBe(600_000);
  });

  it('take the app’s rememberMe timeouts', () => {
    expect(resolve({ rememberMe: { idleTimeoutMs: 60_000, absoluteTimeoutMs: 120_000 } }).rememberMe).toMatchObject({
      idleTimeoutMs: 60_000,
      absoluteTimeoutMs: 120_000,
    });
  });

  it.each<[string, unknown, string]>([
    ['a zero remembered idle timeout', { idleTimeoutMs: 0 }, 'rememberMe.idleTimeoutMs'],
    ['a fractional remembered idle timeout', { idleTimeoutMs: 1.5 }, 'rememberMe.idleTimeoutMs'],
    ['a string remembered absolute timeout', { absoluteTimeoutMs: '30d' }, 'rememberMe.absoluteTimeoutMs'],
    ['a negative remembered absolute timeout', { absoluteTimeoutMs: -1 }, 'rememberMe.absoluteTimeoutMs'],
    [
      'a remembered absolute timeout below its idle one',
      { idleTimeoutMs: 120_000, absoluteTimeoutMs: 60_000 },
      'rememberMe.absoluteTimeoutMs',
    ],
    ['a remembered idle timeout above the default absolute one', { idleTimeoutMs: 31 * 86_400_000 }, 'rememberMe.absoluteTimeoutMs'],
    ['a `from` that is not a function', { from: 'body.rememberMe' }, 'rememberMe.from'],
    ['rememberMe as a boolean', true, 'rememberMe'],
    ['rememberMe as an array', [], 'rememberMe'],
  ])('refuse %s at boot, naming the option', (_label, rememberMe, option) => {
    refused({ rememberMe: rememberMe as AxessSessionModuleOptions['rememberMe'] }, option);
  });

  it('a `from` of the app counts only true as "remember"', () => {
    const from = resolve({ rememberMe: { from: () => 'yes' as unknown as boolean } }).rememberMe.from;
    expect(from({}, undefined)).toBe(false);
    expect(resolve({ rememberMe: { from: () => true } }).rememberMe.from({}, undefined)).toBe(true);
  });
});

describe('defaultRememberMeFrom', () => {
  it.each<[unknown, boolean]>([
    [{ rememberMe: true }, true],
    [{ rememberMe: 'on' }, true],
    [{ rememberMe: 'true' }, true],
    [{ rememberMe: false }, false],
    [{ rememberMe: 'false' }, false],
    [{ rememberMe: 1 }, false],
    [{ rememberMe: ['on'] }, false],
    [{}, false],
    [undefined, false],
    ['rememberMe=on', false],
  ])('reads body %p as %p', (body, expected) => {
    expect(defaultRememberMeFrom({ body }, undefined)).toBe(expected);
  });

  it("reads a GraphQL resolver's rememberMe argument (true only), not the body", () => {
    const graphql = (args: unknown) => ({ getType: () => 'graphql', getArgs: () => [undefined, args] }) as unknown as ExecutionContext;
    expect(defaultRememberMeFrom({ body: { rememberMe: true } }, graphql({ rememberMe: true }))).toBe(true);
    expect(defaultRememberMeFrom({ body: { rememberMe: true } }, graphql({}))).toBe(false);
    expect(defaultRememberMeFrom({}, graphql({ rememberMe: 'on' }))).toBe(false);
  });
});

describe('secure defaults: the cookie name', () => {
  const cookieFor = (options: Partial<AxessSessionModuleOptions>) =>
    new SessionCookie(resolve(options).cookie, new CookieSigner(randomBytes(32)));

  it.each<[string, AxessSessionModuleOptions['cookie'], string, string]>([
    ['secure (the default)', undefined, '__Host-axess.sid', '__Host-axess.sid'],
    ['secure: false', { secure: false }, 'axess.sid', 'axess.sid'],
    ["secure: 'auto'", { secure: 'auto' }, '__Host-axess.sid', 'axess.sid'],
    ['a domain', { domain: 'example.com' }, '__Secure-axess.sid', '__Secure-axess.sid'],
    ['a path other than /', { path: '/app' }, '__Secure-axess.sid', '__Secure-axess.sid'],
    ["a domain with 'auto'", { domain: 'example.com', secure: 'auto' }, '__Secure-axess.sid', 'axess.sid'],
    ['a domain without Secure', { domain: 'example.com', secure: false }, 'axess.sid', 'axess.sid'],
    ['a configured name', { name: 'app.sid', secure: 'auto' }, 'app.sid', 'app.sid'],
    ['a configured __Secure- name with a path', { name: '__Secure-sid', path: '/app' }, '__Secure-sid', '__Secure-sid'],
  ])('with %s: %s over TLS, %s over plain http', (_label, cookie, overTls, overHttp) => {
    const sessionCookie = cookieFor({ cookie });
    expect(sessionCookie.nameFor(request('https'))).toBe(overTls);
    expect(sessionCookie.nameFor(request('http'))).toBe(overHttp);
    expect(sessionCookie.serialize(mintSessionId(), undefined, 0, request('https'))).toMatch(
      new RegExp(`^${overTls.replace('.', '\\.')}=`),
    );
  });

  it('reads only the name of the request: a plain axess.sid ahead of the __Host- one is not looked at', () => {
    const sessionCookie = cookieFor({ cookie: { secure: 'auto' } });
    const signer = (sessionCookie as unknown as { signer: CookieSigner }).signer;
    const [victimId, attackerId] = [mintSessionId(), mintSessionId()];
    const header = `axess.sid=${signer.sign(attackerId)}; __Host-axess.sid=${signer.sign(victimId)}`;
    expect(sessionCookie.inspect(header, request('https'))).toEqual({ ids: [victimId], forged: false });
    expect(sessionCookie.inspect(`axess.sid=${signer.sign(attackerId)}`, request('https'))).toEqual({ ids: [], forged: false });
    expect(sessionCookie.inspect(header, request('http'))).toEqual({ ids: [attackerId], forged: false });
  });

  it.each<[string, AxessSessionModuleOptions['cookie'], string]>([
    ['a __Host- name without Secure', { name: '__Host-sid', secure: 'auto' }, 'cookie.secure'],
    ['a __Secure- name without Secure', { name: '__Secure-sid', secure: false }, 'cookie.secure'],
    ['a __Host- name with a domain', { name: '__Host-sid', domain: 'example.com' }, 'cookie.path'],
    ['a __Host- name with a path', { name: '__Host-sid', path: '/app' }, 'cookie.path'],
    ['an empty name', { name: '' }, 'cookie.name'],
  ])('refuses %s at boot', (_label, cookie, option) => {
    refused({ cookie }, option);
  });
});
