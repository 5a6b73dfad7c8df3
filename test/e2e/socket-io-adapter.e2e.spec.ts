import { randomBytes } from 'node:crypto';
import { sendHttpRequest } from '../harness/http-request';
import { connectIo, openIo } from '../harness/io-client';
import { revokeFrom, signIn, startSocketApp, type SocketApp } from '../harness/socket-app';

// AxessIoAdapter (@axess/nestjs-session/socket.io) on one instance: who may connect, what gateways get, how a socket ends.
describe.each(['express', 'fastify'] as const)('AxessIoAdapter on %s', (http) => {
  let running: SocketApp;

  beforeAll(async () => {
    running = await startSocketApp(http, 'socket.io');
  });
  afterAll(async () => {
    await running?.close();
  });

  it('refuses a handshake without a session cookie: connect_error with data { statusCode: 401, reason: "unauthenticated" }', async () => {
    expect(await connectIo(running.url, { origin: running.url })).toEqual({
      connected: false,
      message: 'Unauthorized',
      data: { statusCode: 401, reason: 'unauthenticated' },
    });
    const forged = `__Host-axess.sid=${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    expect(await connectIo(running.url, { cookie: forged, origin: running.url })).toMatchObject({
      connected: false,
      data: { reason: 'unauthenticated' },
    });
  });

  it('refuses a foreign Origin and a missing one, even with a live cookie: reason "origin-not-allowed"', async () => {
    const { cookie } = await signIn(running.url);
    for (const origin of ['http://evil.example', running.url.replace('http:', 'https:'), 'null', undefined]) {
      expect(await connectIo(running.url, { cookie, origin })).toEqual({
        connected: false,
        message: 'Cross-origin WebSocket refused.',
        data: { statusCode: 403, reason: 'origin-not-allowed' },
      });
    }
  });

  it('refuses an ended session with the reason it ended: "revoked"', async () => {
    const { cookie, id } = await signIn(running.url);
    expect(await revokeFrom(running.url, id)).toBe(200);
    expect(await connectIo(running.url, { cookie, origin: running.url })).toMatchObject({
      connected: false,
      data: { statusCode: 401, reason: 'revoked' },
    });
  });

  it.each([[undefined], [['websocket'] as Array<'websocket'>]])(
    'connects a signed-in session of this origin (transports %j): a guarded handler gets @CurrentSession(), an unguarded one answers',
    async (transports) => {
      const { cookie, id } = await signIn(running.url);
      const client = await openIo(running.url, cookie, transports);
      client.socket.emit('whoami');
      expect(await client.next('session')).toEqual({ userId: 'alice', sessionId: id });
      client.socket.emit('echo', { hello: 'there' });
      expect(await client.next('echo')).toEqual({ hello: 'there' });
      client.socket.close();
    },
  );

  it.each([
    ['logout', 'logged-out', (url: string, cookie: string) => sendHttpRequest(url, 'POST', '/logout', { cookie }).then((a) => a.status)],
    ['revoke from another device', 'revoked', (url: string, _cookie: string, id: string) => revokeFrom(url, id)],
  ])('%s: the client gets axess:session-ended { reason: "%s" }, then is disconnected by the server', async (_label, reason, end) => {
    const { cookie, id } = await signIn(running.url);
    const client = await openIo(running.url, cookie);
    expect(await end(running.url, cookie, id)).toBe(200);
    expect(await client.next('axess:session-ended')).toEqual({ reason });
    expect((await client.disconnected).reason).toBe('io server disconnect');
  });
});
