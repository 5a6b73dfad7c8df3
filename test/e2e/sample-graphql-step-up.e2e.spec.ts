import { ManualClock } from '../../src/testing';
import { startSample, type RunningSample } from '../harness/sample-server';

const REAUTH_MAX_AGE_MS = 300_000; // the sample's default (REAUTH_MAX_AGE_MS unset)

interface GraphqlAnswer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  cookie?: string;
}

describe.each(['express', 'fastify'] as const)('sample GraphQL step-up: signOutOtherDevices and reauthenticate (%s)', (adapter) => {
  const clock = new ManualClock(Date.UTC(2032, 0, 1));
  let running: RunningSample;
  let base: string;

  beforeAll(async () => {
    running = await startSample(adapter, 3, { clock });
    base = `http://127.0.0.1:${running.port}`;
  });
  afterAll(async () => {
    await running.close();
  });

  const graphql = async (query: string, cookie?: string): Promise<GraphqlAnswer> => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      body: JSON.stringify({ query }),
      headers: { 'content-type': 'application/json', origin: base, ...(cookie ? { cookie } : {}) },
    });
    // The session cookie, whatever its name's prefix.
    const set = res.headers.getSetCookie().find((c) => /^(__Host-)?axess\.sid=/.test(c) && !/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c));
    return { status: res.status, body: (await res.json()) as GraphqlAnswer['body'], cookie: set?.split(';')[0] };
  };
  const signIn = async (username: string) =>
    (await graphql(`mutation { login(username: "${username}", password: "${username}-password") { userId } }`)).cookie!;
  const whoami = async (cookie: string) => (await graphql('{ me { userId } }', cookie)).body;

  it("refuses signOutOtherDevices with reason 'reauthentication-required' after the window, then works once the password is confirmed", async () => {
    const other = await signIn('alice');
    const mine = await signIn('alice');
    clock.advance(REAUTH_MAX_AGE_MS + 1);

    const refused = await graphql('mutation { signOutOtherDevices }', mine);
    expect(refused.body.data ?? null).toBeNull();
    expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'reauthentication-required' });
    expect(await whoami(other)).toEqual({ data: { me: { userId: 'alice' } } });

    const wrong = await graphql('mutation { reauthenticate(password: "not-alices") }', mine);
    expect(wrong.body.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(wrong.cookie).toBeUndefined();

    const confirmed = await graphql('mutation { reauthenticate(password: "alice-password") }', mine);
    expect(confirmed.body).toEqual({ data: { reauthenticate: true } });
    // A new id: the cookie from before the confirmation no longer opens anything.
    expect(confirmed.cookie).toBeDefined();
    expect(confirmed.cookie).not.toBe(mine);
    expect((await whoami(mine)).errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });

    const revoked = await graphql('mutation { signOutOtherDevices }', confirmed.cookie);
    expect(revoked.body).toEqual({ data: { signOutOtherDevices: 1 } });
    expect((await whoami(other)).errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
    expect(await whoami(confirmed.cookie!)).toEqual({ data: { me: { userId: 'alice' } } });
  });

  it('answers reauthenticate without a session with an UNAUTHENTICATED error', async () => {
    const anonymous = await graphql('mutation { reauthenticate(password: "alice-password") }');
    expect(anonymous.body.data ?? null).toBeNull();
    expect(anonymous.body.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
