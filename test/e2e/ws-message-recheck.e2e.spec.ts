import { GATEWAY_PATH } from '../harness/session-gateway.app';
import { revokeFrom, sharedKeys, signIn, startSocketApp, type SocketApp } from '../harness/socket-app';
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
