import { parseSetCookie } from 'cookie';
import { sendHttpRequest, type HttpAnswer } from './http-request';
import { sampleHandleOf } from './sample-handle';

/** The cap the sample must run with for this flow. */
export const GRAPHQL_FLOW_MAX_SESSIONS = 3;

const LOGIN = 'mutation { login(username: "alice", password: "alice-password") { userId } }';
const ME = 'query { me { userId handle } }';
const LOGOUT = 'mutation { logout }';

/** The session cookie pair (`__Host-axess.sid=...`) an answer sets, if any. */
export function sessionCookie(answer: HttpAnswer): string | undefined {
  return answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='))?.split(';')[0];
}

const idOf = (cookie: string) => cookie.split('=')[1].split('.')[0];

/** One GraphQL operation, as a browser of the sample's own origin sends it (JSON POST). */
export function graphql(url: string, query: string, cookie?: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return sendHttpRequest(url, 'POST', '/graphql', { body: { query }, cookie, headers });
}

/** Signs alice in through the `login` mutation; returns the session cookie it set. */
export async function graphqlLogin(url: string, cookie?: string): Promise<string> {
  const answer = await graphql(url, LOGIN, cookie);
  expect(answer.body).toEqual({ data: { login: { userId: 'alice' } } });
  const pair = sessionCookie(answer);
  expect(pair).toBeDefined();
  return pair!;
}

/** What `me` answers for `cookie`. */
export function graphqlMe(url: string, cookie?: string): Promise<HttpAnswer> {
  return graphql(url, ME, cookie);
}

/** The first GraphQL error's `extensions` of an answer. */
function extensionsOf(answer: HttpAnswer): Record<string, unknown> | undefined {
  return (answer.body as { errors?: Array<{ extensions?: Record<string, unknown> }> }).errors?.[0]?.extensions;
}

/**
 * The sample's GraphQL contract (`POST /graphql`; Apollo on Express, Mercurius on Fastify):
 * login through passport-local and MaxSessionsGuard (a hardened cookie on the GraphQL response,
 * a new id, the cap with eviction), `me` behind AxessAuthenticatedGuard (an ended session is a
 * GraphQL error with `extensions.code` UNAUTHENTICATED and the ended reason), `logout`, and the
 * HTTP rules that keep the login from becoming a way around the JSON API's CSRF defences.
 * Call it inside a `describe`; `url` is read in the tests.
 */
export function sampleGraphqlFlow(url: () => string): void {
  it('login: the session cookie on the GraphQL response, hardened; me names that session by its handle, never its id', async () => {
    const answer = await graphql(url(), LOGIN);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { login: { userId: 'alice' } } });
    const header = answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='))!;
    const parsed = parseSetCookie(header);
    expect(parsed.httpOnly).toBe(true);
    expect(parsed.secure).toBe(true);
    expect(String(parsed.sameSite).toLowerCase()).toBe('lax');
    const cookie = sessionCookie(answer)!;
    const me = await graphqlMe(url(), cookie);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ data: { me: { userId: 'alice', handle: await sampleHandleOf(url(), cookie) } } });
    expect(JSON.stringify(me.body)).not.toContain(idOf(cookie));
    // A signed-in answer is never stored by a cache (the same as the JSON API's).
    expect(me.headers['cache-control']).toBe('no-store');
  });

  it('login(rememberMe: true): a persistent cookie (up to the remembered 30-day deadline); without it a browser-session cookie', async () => {
    const remembered = await graphql(url(), LOGIN.replace('password: "alice-password"', 'password: "alice-password", rememberMe: true'));
    expect(remembered.body).toEqual({ data: { login: { userId: 'alice' } } });
    const persistent = parseSetCookie(remembered.setCookies.find((c) => c.startsWith('__Host-axess.sid='))!);
    expect(persistent.maxAge).toBeGreaterThan(30 * 86_400 - 60);
    const plain = parseSetCookie((await graphql(url(), LOGIN)).setCookies.find((c) => c.startsWith('__Host-axess.sid='))!);
    expect(plain.maxAge).toBeUndefined();
    expect(plain.expires).toBeUndefined();
  });

  it('login rotates the id: the session the browser had before (bob) no longer works', async () => {
    const bob = sessionCookie(
      await sendHttpRequest(url(), 'POST', '/auth/login', { body: { username: 'bob', password: 'bob-password' } }),
    )!;
    const alice = await graphqlLogin(url(), bob);
    expect(idOf(alice)).not.toBe(idOf(bob));
    expect(extensionsOf(await graphqlMe(url(), bob))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await graphqlMe(url(), alice)).body.data.me.userId).toBe('alice');
  });

  it("signing in again on alice's session rotates it: a new id, the old one dead, none of her other sessions evicted", async () => {
    const others = [await graphqlLogin(url()), await graphqlLogin(url())];
    const mine = await graphqlLogin(url());
    const again = await graphqlLogin(url(), mine);
    expect(idOf(again)).not.toBe(idOf(mine));
    expect(extensionsOf(await graphqlMe(url(), mine))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await graphqlMe(url(), again)).body.data.me.handle).toBe(await sampleHandleOf(url(), again));
    for (const cookie of others) expect((await graphqlMe(url(), cookie)).body.data.me.handle).toBe(await sampleHandleOf(url(), cookie));
  });

  it('a bad password: an UNAUTHENTICATED error and no cookie', async () => {
    const answer = await graphql(url(), 'mutation { login(username: "alice", password: "wrong") { userId } }');
    expect(extensionsOf(answer)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(answer.body.data).toBeNull();
    expect(sessionCookie(answer)).toBeUndefined();
  });

  it('me without a session: UNAUTHENTICATED, no reason', async () => {
    const answer = await graphqlMe(url());
    expect(extensionsOf(answer)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(extensionsOf(answer)).not.toHaveProperty('reason');
    expect(answer.body.data).toBeNull();
  });

  it(`the cap (${GRAPHQL_FLOW_MAX_SESSIONS}): a 4th GraphQL login evicts the oldest, whose me says why`, async () => {
    const cookies: string[] = [];
    for (let i = 0; i < GRAPHQL_FLOW_MAX_SESSIONS + 1; i++) cookies.push(await graphqlLogin(url()));
    const evicted = await graphqlMe(url(), cookies[0]);
    expect(evicted.status).toBe(200);
    expect(evicted.body.data).toBeNull();
    expect(extensionsOf(evicted)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'evicted:newer-sign-in' });
    for (const cookie of cookies.slice(1)) expect((await graphqlMe(url(), cookie)).body.data.me.userId).toBe('alice');
  });

  it('a session revoked through the JSON API: its next GraphQL request gets reason "revoked"', async () => {
    const phone = await graphqlLogin(url());
    const laptop = await graphqlLogin(url());
    const handle = await sampleHandleOf(url(), phone);
    const revoked = await sendHttpRequest(url(), 'DELETE', `/auth/sessions/${handle}`, { cookie: laptop, body: {} });
    expect(revoked.status).toBe(200);
    expect(extensionsOf(await graphqlMe(url(), phone))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
  });

  it('logout: true, the cookie cleared, and the session gone', async () => {
    const cookie = await graphqlLogin(url());
    const answer = await graphql(url(), LOGOUT, cookie);
    expect(answer.body).toEqual({ data: { logout: true } });
    const cleared = answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='));
    expect(cleared).toMatch(/^__Host-axess\.sid=;/);
    expect(extensionsOf(await graphqlMe(url(), cookie))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(extensionsOf(await graphql(url(), LOGOUT, cookie))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  describe('the HTTP rules of /graphql (no way around the JSON API’s CSRF defences)', () => {
    const raw = (init: RequestInit) => fetch(`${url()}/graphql`, init);

    it('a GET (a link, an <img>) is refused with 405, even for a query', async () => {
      const res = await raw({ method: 'GET', headers: {} });
      expect(res.status).toBe(405);
      const query = await fetch(`${url()}/graphql?query=${encodeURIComponent(ME)}`);
      expect(query.status).toBe(405);
    });

    it.each([
      ['a form post', 'application/x-www-form-urlencoded', `query=${encodeURIComponent(LOGIN)}`],
      ['text/plain (what a no-cors fetch sends)', 'text/plain', JSON.stringify({ query: LOGIN })],
      ['multipart', 'multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${LOGIN}\r\n--x--\r\n`],
      ['application/graphql', 'application/graphql', LOGIN],
    ])('%s is refused with 415 and signs nobody in', async (_label, type, body) => {
      const res = await raw({ method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status).toBe(415);
      expect(res.headers.getSetCookie()).toEqual([]);
    });

    it('a login whose Origin is another origin is refused with 403 and signs nobody in', async () => {
      const answer = await graphql(url(), LOGIN, undefined, { origin: 'http://localhost:1' });
      expect(answer.status).toBe(403);
      expect(sessionCookie(answer)).toBeUndefined();
      const ownOrigin = await graphql(url(), LOGIN, undefined, { origin: url() });
      expect(ownOrigin.body).toEqual({ data: { login: { userId: 'alice' } } });
    });
  });
}

/**
 * Failed GraphQL sign-ins count with the JSON API's, and aliases are no way to try many
 * passwords in one request. Run it on a sample of its own: it blocks alice and 127.0.0.1 there
 * for a minute.
 */
export function sampleGraphqlThrottleFlow(url: () => string): void {
  it('an aliased mutation stops at its first failed sign-in: ten wrong passwords for bob count as one', async () => {
    const fields = Array.from({ length: 10 }, (_, i) => `b${i}: login(username: "bob", password: "wrong-${i}") { userId }`);
    const answer = await graphql(url(), `mutation { ${fields.join(' ')} }`);
    // GraphQL runs mutation fields one after the other, and a failed (non-null) login ends the operation.
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors).toHaveLength(1);
    expect(sessionCookie(answer)).toBeUndefined();
    // Ten counted failures would have blocked bob: his right password still signs him in.
    const bob = await graphql(url(), 'mutation { login(username: "bob", password: "bob-password") { userId } }');
    expect(bob.body).toEqual({ data: { login: { userId: 'bob' } } });
  });

  it('ten failed GraphQL sign-ins block the next one, on GraphQL and on the JSON API alike', async () => {
    for (let i = 0; i < 10; i++) {
      const failed = await graphql(url(), `mutation { login(username: "alice", password: "wrong-${i}") { userId } }`);
      expect(failed.body.data).toBeNull();
      expect(sessionCookie(failed)).toBeUndefined();
    }
    const blocked = await graphql(url(), LOGIN);
    expect(blocked.body.data).toBeNull();
    expect(extensionsOf(blocked)).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfterSeconds: expect.any(Number) });
    expect(sessionCookie(blocked)).toBeUndefined();
    const json = await sendHttpRequest(url(), 'POST', '/auth/login', { body: { username: 'alice', password: 'alice-password' } });
    expect(json.status).toBe(429);
  });
}
