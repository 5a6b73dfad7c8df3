import { GATEWAY_PATH } from '../harness/session-gateway.app';
import { signIn, startSocketApp, type SocketApp } from '../harness/socket-app';
import { upgrade, type TestSocket } from '../harness/ws-client';

/** Opens a socket of the test gateway that must open. */
async function open(url: string, cookie: string): Promise<TestSocket> {
  const result = await upgrade(url, { cookie, origin: url, path: GATEWAY_PATH });
  if (!result.opened) throw new Error(`The upgrade was refused: ${result.status} ${JSON.stringify(result.body)}`);
  return result.socket;
}

const send = (socket: TestSocket, event: string, data?: unknown) => socket.ws.send(JSON.stringify({ event, data }));

// The limits of AxessWsAdapter, at their defaults: 16 KiB per message, 10 sockets per session, 100 messages a second.
describe.each(['express', 'fastify'] as const)('AxessWsAdapter limits on %s', (http) => {
  let running: SocketApp;

  beforeAll(async () => {
    running = await startSocketApp(http, 'ws');
  });
  afterAll(async () => {
    await running?.close();
  });

  it('answers a message of 16 KiB, and closes a socket that sends one byte more with 1009', async () => {
    const { cookie } = await signIn(running.url);
    const socket = await open(running.url, cookie);
    const frame = (size: number) => {
      const text = JSON.stringify({ event: 'echo', data: '' });
      return JSON.stringify({ event: 'echo', data: 'x'.repeat(size - Buffer.byteLength(text)) });
    };
    socket.ws.send(frame(16 * 1024));
    expect(await socket.next((m) => m.event === 'echo')).toMatchObject({ event: 'echo' });
    socket.ws.send(frame(16 * 1024 + 1));
    expect((await socket.closed).code).toBe(1009);
  });

  it('closes a socket with 1009 on the header of a frame that declares 95 MiB, before a byte of its payload is sent', async () => {
    const { cookie } = await signIn(running.url);
    const socket = await open(running.url, cookie);
    // FIN + text, masked, 64-bit length, then the mask key: 14 bytes that announce 95 MiB.
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(95 * 1024 * 1024), 2);
    (socket.ws as unknown as { _socket: { write(data: Buffer): void } })._socket.write(header);
    expect((await socket.closed).code).toBe(1009);
  });

  it('an 11th socket of one session closes the oldest with 1008 "too-many-sockets"; the others stay open and answer', async () => {
    const { cookie, id } = await signIn(running.url);
    const sockets: TestSocket[] = [];
    for (let i = 0; i < 10; i++) sockets.push(await open(running.url, cookie));
    const eleventh = await open(running.url, cookie);
    const closed = await sockets[0].closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 1008, reason: 'too-many-sockets' });
    send(eleventh, 'whoami');
    expect(await eleventh.next((m) => m.event === 'session')).toEqual({ event: 'session', data: { userId: 'alice', sessionId: id } });
    for (const socket of [...sockets.slice(1), eleventh]) {
      expect(socket.ws.readyState).toBe(socket.ws.OPEN);
      socket.ws.close();
      await socket.closed;
    }
  });

  it('sockets of other sessions do not count against a session', async () => {
    const sockets: TestSocket[] = [];
    for (let i = 0; i < 11; i++) sockets.push(await open(running.url, (await signIn(running.url)).cookie));
    for (const socket of sockets) send(socket, 'echo', 'still here');
    for (const socket of sockets) expect(await socket.next((m) => m.event === 'echo')).toEqual({ event: 'echo', data: 'still here' });
    for (const socket of sockets) socket.ws.close();
  });

  it('answers 100 messages sent at once, and closes a socket that sends 150 at once with 1008 "too-many-messages"', async () => {
    const { cookie } = await signIn(running.url);
    const within = await open(running.url, cookie);
    for (let i = 0; i < 100; i++) send(within, 'echo', i);
    await expect(
      Promise.all(Array.from({ length: 100 }, (_, i) => within.next((m) => m.event === 'echo' && m.data === i))),
    ).resolves.toHaveLength(100);
    expect(within.ws.readyState).toBe(within.ws.OPEN);
    within.ws.close();

    const over = await open(running.url, cookie);
    for (let i = 0; i < 150; i++) send(over, 'echo', i);
    const closed = await over.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 1008, reason: 'too-many-messages' });
    // Not one message over the limit was handled.
    expect(over.messages.length).toBeLessThanOrEqual(100);
  });
});
