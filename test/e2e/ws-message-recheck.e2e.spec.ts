import { Redis } from 'iovalkey';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { AxessWebSocketSessions } from '../../src/ws/websocket-sessions';
import { sendHttpRequest } from '../harness/http-request';
import { GATEWAY_PATH } from '../harness/session-gateway.app';
import { revokeFrom, sharedKeys, signIn, startSocketApp, type SocketApp } from '../harness/socket-app';
import { waitFor } from '../harness/wait-for';
import { upgrade } from '../harness/ws-client';

/** How many revocations each case races against a message: with the events alone, 2 to 4 of 80 were answered. */
const TRIES = 80;

/**
 * Two instances on one Valkey: a session revoked through B, and a guarded message sent on its
 * socket on A the moment B answers. A reads the session from the store (through its local cache
 * when on) before handling the message, so it never answers, whether or not B's event has
 * reached A yet, and the socket closes with 4001 "revoked".
 */
describe.each([
  ['express', false],
  ['fastify', false],
  ['express', true],
] as const)('a message on A after a revocation answered by B (%s, local cache %s)', (http, localCache) => {
  let a: SocketApp;
  let b: SocketApp;

  beforeAll(async () => {
    const keys = sharedKeys();
    a = await startSocketApp(http, 'ws', { keys, module: { localCache } });
    b = await startSocketApp(http, 'ws', { keys, module: { localCache } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it(`is refused every time (${TRIES} tries): no answer, the socket closed with 4001 "revoked"`, async () => {
    const outcomes: Array<{ answered: boolean; code: number; reason: string }> = [];
    for (let i = 0; i < TRIES; i++) {
      const { cookie, id } = await signIn(a.url);
      const result = await upgrade(a.url, { cookie, origin: a.url, path: GATEWAY_PATH });
      if (!result.opened) throw new Error(`refused: ${result.status}`);
      const socket = result.socket;
      // A reads the session once while it is live (with the cache on, A then holds a copy).
      socket.ws.send(JSON.stringify({ event: 'whoami' }));
      await socket.next((m) => m.event === 'session');
      expect(await revokeFrom(b.url, id)).toBe(200);
      socket.ws.send(JSON.stringify({ event: 'whoami' }));
      const closed = await socket.closed;
      outcomes.push({
        answered: socket.messages.filter((m) => (m as { event?: string }).event === 'session').length > 1,
        code: closed.code,
        reason: closed.reason,
      });
    }
    expect(outcomes.filter((o) => o.answered || o.code !== 4001 || o.reason !== 'revoked')).toEqual([]);
  });
});

describe('a message while the store does not answer', () => {
  // A server of its own: CLIENT PAUSE stops every client of the server.
  let server: ValkeyTestServer;
  let admin: Redis;
  let running: SocketApp;
  let client: Redis;

  beforeAll(async () => {
    server = await startValkeyServer();
    admin = new Redis(server.url);
    // The module's client gives up on a command after 200 ms, as the module's own client does after commandTimeoutMs.
    client = new Redis(server.url, { commandTimeout: 200 });
    running = await startSocketApp('express', 'ws', { module: { client } });
  });
  afterAll(async () => {
    // The app first, then its server: nothing is left reconnecting to a server that is gone.
    await running?.close();
    client?.disconnect();
    await admin?.quit();
    await server?.stop();
  });

  it('is refused (no answer) and the socket stays open: the next message, once the store answers, is answered', async () => {
    const { cookie, id } = await signIn(running.url);
    const result = await upgrade(running.url, { cookie, origin: running.url, path: GATEWAY_PATH });
    if (!result.opened) throw new Error(`refused: ${result.status}`);
    const socket = result.socket;
    const warnings: string[] = [];
    const sessions: unknown = running.app.get(AxessWebSocketSessions, { strict: false });
    const logger = (sessions as { logger: { warn(message: string): void } }).logger;
    logger.warn = (message: string) => void warnings.push(message);

    // Every client of the server waits 3 s (a CLIENT UNPAUSE would wait too): long past the client's 200 ms.
    await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
    socket.ws.send(JSON.stringify({ event: 'whoami' }));
    await waitFor(() => warnings.some((w) => w.startsWith('Could not check the session of a WebSocket message')), 'the check to fail');

    // The admin's own command waits for the pause to end too.
    await admin.ping();
    // Had whoami been answered, its answer would have come before this echo's.
    socket.ws.send(JSON.stringify({ event: 'echo', data: 'after' }));
    expect(await socket.next((m) => m.event === 'echo')).toEqual({ event: 'echo', data: 'after' });
    expect(socket.messages).toEqual([{ event: 'echo', data: 'after' }]);
    socket.ws.send(JSON.stringify({ event: 'whoami' }));
    expect(await socket.next((m) => m.event === 'session')).toEqual({ event: 'session', data: { userId: 'alice', sessionId: id } });
    socket.ws.close();
  });
});

describe('a message after the session id changed over HTTP', () => {
  let running: SocketApp;
  beforeAll(async () => {
    running = await startSocketApp('express', 'ws');
  });
  afterAll(async () => {
    await running?.close();
  });

  it('is refused: the old id has no record, the socket closes with 4001 "ended"', async () => {
    const { cookie } = await signIn(running.url);
    const result = await upgrade(running.url, { cookie, origin: running.url, path: GATEWAY_PATH });
    if (!result.opened) throw new Error(`refused: ${result.status}`);
    const socket = result.socket;
    expect((await sendHttpRequest(running.url, 'POST', '/regenerate', { cookie })).status).toBe(200);
    socket.ws.send(JSON.stringify({ event: 'whoami' }));
    const closed = await socket.closed;
    expect({ code: closed.code, reason: closed.reason, answers: socket.messages }).toEqual({ code: 4001, reason: 'ended', answers: [] });
  });
});
