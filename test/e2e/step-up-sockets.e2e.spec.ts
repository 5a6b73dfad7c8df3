import { ManualClock } from '../../src/testing';
import { openIo } from '../harness/io-client';
import { GATEWAY_PATH, GATEWAY_STEP_UP_MAX_AGE_MS } from '../harness/session-gateway.app';
import { signIn, startSocketApp, type SocketApp } from '../harness/socket-app';
import { upgrade } from '../harness/ws-client';

/**
 * `@RequireRecentAuth` on a WebSocket message handler: a too old authentication refuses the
 * message and closes the socket with 4002 "reauthentication-required" (socket.io: the
 * `axess:socket-closed` event with that reason, then a disconnect); the session itself stays valid.
 */
describe.each(['express', 'fastify'] as const)('step-up on WebSocket messages (%s)', (http) => {
  const clock = new ManualClock();
  let ws: SocketApp;
  let io: SocketApp;

  beforeAll(async () => {
    ws = await startSocketApp(http, 'ws', { module: { clock } });
    io = await startSocketApp(http, 'socket.io', { module: { clock } });
  });
  afterAll(async () => {
    await ws?.close();
    await io?.close();
  });

  it('ws: answers a fresh authentication, then closes with 4002 "reauthentication-required" once it is too old', async () => {
    const { cookie } = await signIn(ws.url);
    const opened = await upgrade(ws.url, { cookie, origin: ws.url, path: GATEWAY_PATH });
    if (!opened.opened) throw new Error(`refused: ${opened.status}`);
    const socket = opened.socket;
    socket.ws.send(JSON.stringify({ event: 'sensitive' }));
    expect(await socket.next((m) => m.event === 'sensitive')).toEqual({ event: 'sensitive', data: { userId: 'alice' } });

    clock.advance(GATEWAY_STEP_UP_MAX_AGE_MS + 1);
    socket.ws.send(JSON.stringify({ event: 'sensitive' }));
    expect(await socket.closed).toMatchObject({ code: 4002, reason: 'reauthentication-required' });
    expect(socket.messages.filter((m) => (m as { event?: string }).event === 'sensitive')).toHaveLength(1);

    // Only that message needed a fresher authentication: the session still opens sockets and answers.
    const again = await upgrade(ws.url, { cookie, origin: ws.url, path: GATEWAY_PATH });
    if (!again.opened) throw new Error(`refused: ${again.status}`);
    again.socket.ws.send(JSON.stringify({ event: 'whoami' }));
    expect(await again.socket.next((m) => m.event === 'session')).toMatchObject({ data: { userId: 'alice' } });
    again.socket.ws.close();
  });

  it('socket.io: the same refusal arrives as axess:socket-closed { reason: "reauthentication-required" }, then a disconnect', async () => {
    const { cookie } = await signIn(io.url);
    const client = await openIo(io.url, cookie, ['websocket']);
    client.socket.emit('sensitive');
    expect(await client.next('sensitive')).toEqual({ userId: 'alice' });

    clock.advance(GATEWAY_STEP_UP_MAX_AGE_MS + 1);
    client.socket.emit('sensitive');
    expect(await client.next('axess:socket-closed')).toEqual({ reason: 'reauthentication-required' });
    expect((await client.disconnected).reason).toBe('io server disconnect');
    expect(client.events.filter((e) => e.event === 'sensitive')).toHaveLength(1);
  });
});
