import { openIo, type IoTestClient } from '../harness/io-client';
import { signIn, startSocketApp, type SocketApp } from '../harness/socket-app';

// The limits of AxessIoAdapter at their defaults: maxHttpBufferSize 16 KiB, 10 sockets per session, 100 messages a second.
describe.each(['express', 'fastify'] as const)('AxessIoAdapter limits on %s', (http) => {
  let running: SocketApp;

  beforeAll(async () => {
    running = await startSocketApp(http, 'socket.io');
  });
  afterAll(async () => {
    await running?.close();
  });

  it.each([[['polling']], [['websocket']]] as Array<[Array<'polling' | 'websocket'>]>)(
    'answers a message under 16 KiB, and drops the connection of one over it (%j)',
    async (transports) => {
      const { cookie } = await signIn(running.url);
      const client = await openIo(running.url, cookie, transports);
      client.socket.emit('echo', 'x'.repeat(15 * 1024));
      expect(await client.next('echo')).toHaveLength(15 * 1024);
      client.socket.emit('echo', 'x'.repeat(17 * 1024));
      expect((await client.disconnected).reason).toBe('transport close');
      expect(client.events.filter((e) => e.event === 'echo')).toHaveLength(1);
    },
  );

  it('an 11th socket of one session disconnects the oldest after axess:socket-closed { reason: "too-many-sockets" }', async () => {
    const { cookie, id } = await signIn(running.url);
    const clients: IoTestClient[] = [];
    for (let i = 0; i < 10; i++) clients.push(await openIo(running.url, cookie, ['websocket']));
    const eleventh = await openIo(running.url, cookie, ['websocket']);
    expect(await clients[0].next('axess:socket-closed')).toEqual({ reason: 'too-many-sockets' });
    expect((await clients[0].disconnected).reason).toBe('io server disconnect');
    eleventh.socket.emit('whoami');
    expect(await eleventh.next('session')).toEqual({ userId: 'alice', sessionId: id });
    for (const client of [...clients.slice(1), eleventh]) {
      expect(client.socket.connected).toBe(true);
      client.socket.close();
    }
  });

  it('answers 100 messages sent at once, and disconnects a socket that sends 150 at once after axess:socket-closed { reason: "too-many-messages" }', async () => {
    const { cookie } = await signIn(running.url);
    const within = await openIo(running.url, cookie, ['websocket']);
    for (let i = 0; i < 100; i++) within.socket.emit('echo', i);
    await expect(Promise.all(Array.from({ length: 100 }, (_, i) => within.next('echo', (data) => data === i)))).resolves.toHaveLength(100);
    expect(within.socket.connected).toBe(true);
    within.socket.close();

    const over = await openIo(running.url, cookie, ['websocket']);
    for (let i = 0; i < 150; i++) over.socket.emit('echo', i);
    expect(await over.next('axess:socket-closed')).toEqual({ reason: 'too-many-messages' });
    expect((await over.disconnected).reason).toBe('io server disconnect');
    expect(over.events.filter((e) => e.event === 'echo').length).toBeLessThanOrEqual(100);
  });
});
