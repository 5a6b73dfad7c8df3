import { parseSetCookie } from 'cookie';
import { randomBytes } from 'node:crypto';
import { deriveSampleKey } from '../../sample/sample-keys';
import { SIGN_IN_CSRF_COOKIE, SIGN_IN_CSRF_KEY_INFO, SIGN_IN_CSRF_TTL_MS, SignInCsrf } from '../../sample/web/sign-in-csrf';

/** The sign-in form's stateless CSRF token (finding A): a signed double-submit token bound to a short-lived cookie. */
describe('sample SignInCsrf', () => {
  const signingKey = randomBytes(32).toString('base64');
  let now = Date.UTC(2026, 10, 1);
  const csrf = new SignInCsrf(deriveSampleKey(signingKey, SIGN_IN_CSRF_KEY_INFO), () => now);
  /** The `Cookie` header a browser sends back after `setCookie`. */
  const cookieFrom = (setCookie: string) => setCookie.split(';')[0];

  beforeEach(() => {
    now = Date.UTC(2026, 10, 1);
  });

  it('sets a __Host- cookie: HttpOnly, Secure, SameSite=Lax, Path=/, no Domain, living as long as the token', () => {
    const { setCookie, token } = csrf.issue(undefined);
    const parsed = parseSetCookie(setCookie);
    expect(parsed.name).toBe(SIGN_IN_CSRF_COOKIE);
    expect(SIGN_IN_CSRF_COOKIE.startsWith('__Host-')).toBe(true);
    expect(parsed).toMatchObject({ httpOnly: true, secure: true, path: '/', maxAge: SIGN_IN_CSRF_TTL_MS / 1000 });
    expect(String(parsed.sameSite).toLowerCase()).toBe('lax');
    expect(parsed.domain).toBeUndefined();
    expect(token).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
    // The token is not the cookie: a page that leaks the form does not leak the cookie.
    expect(token).not.toContain(parsed.value);
  });

  it('accepts its own token with its own cookie', () => {
    const { setCookie, token } = csrf.issue(undefined);
    expect(csrf.verify(cookieFrom(setCookie), token)).toBe(true);
    expect(csrf.verify(`other=1; ${cookieFrom(setCookie)}; more=2`, token)).toBe(true);
  });

  it("keeps the browser's nonce across page loads, so every open form stays valid", () => {
    const first = csrf.issue(undefined);
    const cookie = cookieFrom(first.setCookie);
    now += 60_000;
    const second = csrf.issue(cookie);
    expect(cookieFrom(second.setCookie)).toBe(cookie);
    expect(second.token).not.toBe(first.token);
    expect(csrf.verify(cookie, first.token)).toBe(true);
    expect(csrf.verify(cookie, second.token)).toBe(true);
  });

  it("refuses another browser's token, a missing cookie and a missing, empty or non-string token", () => {
    const mine = csrf.issue(undefined);
    const theirs = csrf.issue(undefined);
    expect(csrf.verify(cookieFrom(mine.setCookie), theirs.token)).toBe(false);
    expect(csrf.verify(undefined, mine.token)).toBe(false);
    expect(csrf.verify('', mine.token)).toBe(false);
    for (const submitted of [undefined, '', [mine.token], { token: mine.token }, 42]) {
      expect(csrf.verify(cookieFrom(mine.setCookie), submitted)).toBe(false);
    }
  });

  it('refuses a token past its expiry, and a cookie-less form once the cookie is cleared', () => {
    const { setCookie, token } = csrf.issue(undefined);
    now += SIGN_IN_CSRF_TTL_MS - 1000;
    expect(csrf.verify(cookieFrom(setCookie), token)).toBe(true);
    now += 2000;
    expect(csrf.verify(cookieFrom(setCookie), token)).toBe(false);
    expect(parseSetCookie(csrf.clearCookie())).toMatchObject({ name: SIGN_IN_CSRF_COOKIE, value: '', maxAge: 0, path: '/' });
  });

  it('refuses a token whose expiry or MAC was altered, or one signed with another key', () => {
    const { setCookie, token } = csrf.issue(undefined);
    const cookie = cookieFrom(setCookie);
    const [expiry, mac] = token.split('.');
    expect(csrf.verify(cookie, `${Number(expiry) + 60}.${mac}`)).toBe(false);
    const flipped = Buffer.from(mac, 'base64url');
    flipped[0] ^= 1;
    expect(csrf.verify(cookie, `${expiry}.${flipped.toString('base64url')}`)).toBe(false);
    expect(csrf.verify(cookie, `${expiry}.${mac}x`)).toBe(false);
    expect(csrf.verify(cookie, `${expiry}${mac}`)).toBe(false);
    const otherKey = new SignInCsrf(deriveSampleKey(randomBytes(32).toString('base64'), SIGN_IN_CSRF_KEY_INFO), () => now);
    expect(csrf.verify(cookie, otherKey.issue(cookie).token)).toBe(false);
  });

  it('replaces a malformed nonce cookie with a fresh one instead of signing it', () => {
    for (const value of ['short', 'x'.repeat(44), '%zz', 'a'.repeat(42) + '!']) {
      const { setCookie, token } = csrf.issue(`${SIGN_IN_CSRF_COOKIE}=${value}`);
      expect(parseSetCookie(setCookie).value).not.toBe(value);
      expect(csrf.verify(`${SIGN_IN_CSRF_COOKIE}=${value}`, token)).toBe(false);
      expect(csrf.verify(cookieFrom(setCookie), token)).toBe(true);
    }
  });

  it('derives its key from the signing key with HKDF, per purpose: deterministic, and distinct for another label', () => {
    const a = deriveSampleKey(signingKey, SIGN_IN_CSRF_KEY_INFO);
    expect(a).toHaveLength(32);
    expect(deriveSampleKey(signingKey, SIGN_IN_CSRF_KEY_INFO).equals(a)).toBe(true);
    expect(deriveSampleKey(signingKey, 'another purpose').equals(a)).toBe(false);
    expect(a.equals(Buffer.from(signingKey, 'base64'))).toBe(false);
    // The hex spelling of the same key derives the same key.
    expect(deriveSampleKey(Buffer.from(signingKey, 'base64').toString('hex'), SIGN_IN_CSRF_KEY_INFO).equals(a)).toBe(true);
  });
});
