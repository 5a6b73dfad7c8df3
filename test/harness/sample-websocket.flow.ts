import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { AxessSessionEvents, type AxessSessionEvent } from '../../src/internal';
import { ValkeyEventRelay } from '../../src/valkey/valkey-event.relay';
import { Redis } from 'iovalkey';
import { sendHttpRequest, type HttpAnswer } from './http-request';
import { sampleHandleOf } from './sample-handle';
import { testValkeyUrl } from './valkey';
import { openSessionSocket, upgrade } from './ws-client';
import { clientIdsNamed, waitFor } from './wait-for';

/** A sample instance as the WebSocket flows see it (`app` when it runs in this process). */
export interface SocketSample {
  url: string;
  app?: INestApplication;
}

const sessionCookie = (answer: HttpAnswer) => answer.setCookies.find((c) => c.startsWith('__Host-axess.sid='))?.split(';')[0];
const idOf = (cookie: string) => cookie.split('=')[1].split('.')[0];

/** Signs `username` in through the JSON API of `url`; returns the cookie pair. */
export async function signIn(url: string, username = 'alice'): Promise<string> {
  const answer = await sendHttpRequest(url, 'POST', '/auth/login', { body: { username, password: `${username}-password` } });
  expect(answer.status).toBe(200);
  return sessionCookie(answer)!;
}

/** `GET /ws` of one sample: who may open a socket, what it says on open, and how it ends. */
export function sampleWebSocketFlow(sample: () => SocketSample): void {
  const url = () => sample().url;

  it('refuses the upgrade without a session cookie: 401, no socket', async () => {
    const result = await upgrade(url(), { origin: url() });
    expect(result).toEqual({ opened: false, status: 401, body: { statusCode: 401, message: 'Unauthorized' } });
  });

  it('refuses a foreign Origin (cross-site WebSocket hijacking) and a missing one: 403, even with a live cookie', async () => {
    const cookie = await signIn(url());
    for (const origin of ['http://evil.example', 'http://localhost:1', url().replace('http:', 'https:'), 'null']) {
      expect(await upgrade(url(), { cookie, origin })).toMatchObject({ opened: false, status: 403 });
    }
    expect(await upgrade(url(), { cookie })).toMatchObject({ opened: false, status: 403 });
  });

  it('refuses an ended session with 401 and its reason; an anonymous session with 401', async () => {
    const phone = await signIn(url());
    const laptop = await signIn(url());
    const handle = await sampleHandleOf(url(), phone);
    expect((await sendHttpRequest(url(), 'DELETE', `/auth/sessions/${handle}`, { cookie: laptop, body: {} })).status).toBe(200);
    expect(await upgrade(url(), { cookie: phone, origin: url() })).toEqual({
      opened: false,
      status: 401,
      body: { statusCode: 401, message: 'Unauthorized', reason: 'revoked' },
    });
    const forged = `__Host-axess.sid=${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    expect(await upgrade(url(), { cookie: forged, origin: url() })).toMatchObject({ opened: false, status: 401 });
  });

  it('opens for a signed-in session of this origin and says whose it is (its handle, never its id); a message handler gets the session too', async () => {
    const cookie = await signIn(url());
    const handle = await sampleHandleOf(url(), cookie);
    const { socket, hello } = await openSessionSocket(url(), cookie);
    expect(hello).toEqual({ type: 'session', userId: 'alice', handle });
    socket.ws.send(JSON.stringify({ event: 'whoami' }));
    const answer = await socket.next((m) => m.event === 'session');
    expect(answer).toEqual({ event: 'session', data: { userId: 'alice', handle } });
    expect(JSON.stringify([hello, answer])).not.toContain(idOf(cookie));
    socket.ws.close();
    await socket.closed;
  });

  it.each([
    ['logout', 'logged-out', (u: string, cookie: string) => sendHttpRequest(u, 'POST', '/auth/logout', { cookie, body: {} })],
    [
      'revoke from another device',
      'revoked',
      async (u: string, cookie: string) => {
        const other = await signIn(u);
        return sendHttpRequest(u, 'DELETE', `/auth/sessions/${await sampleHandleOf(u, cookie)}`, { cookie: other, body: {} });
      },
    ],
    ['sign out everywhere', 'revoked', (u: string, cookie: string) => sendHttpRequest(u, 'POST', '/auth/logout-all', { cookie, body: {} })],
  ])('%s closes the socket with 4001 and "%s"', async (_label, reason, end) => {
    const cookie = await signIn(url());
    const { socket } = await openSessionSocket(url(), cookie);
    expect((await end(url(), cookie)).status).toBe(200);
    const closed = await socket.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4001, reason });
  });

  it('another device signing in tells the open socket that the devices changed', async () => {
    const cookie = await signIn(url(), 'bob');
    const { socket } = await openSessionSocket(url(), cookie);
    await signIn(url(), 'bob');
    expect(await socket.next((m) => m.type === 'devices-changed')).toEqual({ type: 'devices-changed' });
    socket.ws.close();
    await socket.closed;
  });
}

/**
 * Two sample instances on one Valkey (the same keys and prefix): a socket open on A is closed
 * when its session ends through B, with code 4001 and the reason, and a message lost while A's
 * subscriber reconnected still closes it (A re-checks its sockets once subscribed again).
 * `latencies` collects, for each close, the ms from the answer of B to the close at the client.
 */
export function twoInstanceWebSocketFlow(
  a: () => SocketSample,
  b: () => SocketSample,
  options: { latencies?: number[]; lostMessage?: boolean } = {},
): void {
  const latencies = options.latencies ?? [];
  it('both instances are subscribed to each other', async () => {
    await waitFor(() => a().app!.get(ValkeyEventRelay).subscribed && b().app!.get(ValkeyEventRelay).subscribed, 'both subscriptions');
  });

  it('a session revoked through B: its socket on A closes with 4001 "revoked"', async () => {
    const cookie = await signIn(a().url);
    const { socket } = await openSessionSocket(a().url, cookie);
    const other = await signIn(b().url);
    // Asked of B: both instances derive the same handle from the same signing key.
    const handle = await sampleHandleOf(b().url, cookie);
    const answer = await sendHttpRequest(b().url, 'DELETE', `/auth/sessions/${handle}`, { cookie: other, body: {} });
    const answered = performance.now();
    expect(answer.status).toBe(200);
    const closed = await socket.closed;
    latencies.push(closed.at - answered);
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4001, reason: 'revoked' });
  });

  it('a session evicted by a newer sign-in through B: its socket on A closes with 4001 "evicted:newer-sign-in"', async () => {
    const cookie = await signIn(a().url, 'bob');
    const { socket } = await openSessionSocket(a().url, cookie);
    // bob's other sessions from earlier tests are older: enough new sign-ins push this one out.
    let answered = 0;
    for (let i = 0; i < 3; i++) {
      await signIn(b().url, 'bob');
      answered = performance.now();
    }
    const closed = await socket.closed;
    latencies.push(closed.at - answered);
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4001, reason: 'evicted:newer-sign-in' });
  });

  if (options.lostMessage === false) return;

  it("a revocation whose message A missed (its subscriber was killed and had not subscribed again) still closes A's socket", async () => {
    const cookie = await signIn(a().url);
    const handle = await sampleHandleOf(a().url, cookie);
    const { socket } = await openSessionSocket(a().url, cookie);
    const relay = a().app!.get(ValkeyEventRelay);
    const heardByA: AxessSessionEvent[] = [];
    a()
      .app!.get(AxessSessionEvents)
      .onAny((event) => void heardByA.push(event));

    // A's subscriber may reconnect, but not subscribe again until the revocation has been published.
    const connection = (relay as unknown as { subscriber: { connection: { subscribe: (...args: unknown[]) => Promise<unknown> } } })
      .subscriber.connection;
    const subscribe = connection.subscribe.bind(connection);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    connection.subscribe = async (...args: unknown[]) => {
      await held;
      return subscribe(...args);
    };
    const admin = new Redis(testValkeyUrl());
    try {
      const ids = await clientIdsNamed(admin, relay.connectionName);
      for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
      await waitFor(() => !relay.subscribed, "A's subscription gone");

      const other = await signIn(b().url);
      const answer = await sendHttpRequest(b().url, 'DELETE', `/auth/sessions/${handle}`, { cookie: other, body: {} });
      expect(answer.status).toBe(200);
      // B published while A was not subscribed: A never hears of it...
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heardByA.filter((e) => e.sessionId === idOf(cookie))).toEqual([]);
      release();
      // ...and closes the socket all the same, from the store, once subscribed again.
      const closed = await socket.closed;
      expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4001, reason: 'revoked' });
      expect(heardByA.filter((e) => e.sessionId === idOf(cookie))).toEqual([]);
    } finally {
      release();
      connection.subscribe = subscribe;
      await admin.quit();
    }
  });
}
