import { openIo, type IoTestClient } from '../harness/io-client';
import { GATEWAY_PATH } from '../harness/session-gateway.app';
import { signIn, startSocketApp, type SocketApp } from '../harness/socket-app';
import { upgrade, type TestSocket } from '../harness/ws-client';

/**
 * Two gateways on one path share one server: Nest hands each socket to the adapter once per
 * gateway. A socket still counts once towards its session's sockets and its messages once
 * towards its rate.
 */
describe('two gateways on one path', () => {
  describe('AxessWsAdapter', () => {
    let running: SocketApp;
    beforeAll(async () => {
      running = await startSocketApp('express', 'ws', { twoGateways: true });
    });
    afterAll(async () => {
      await running?.close();
    });

    it('10 sockets of one session stay open, 100 messages at once are answered, both gateways answer', async () => {
      const { cookie } = await signIn(running.url);
      const sockets: TestSocket[] = [];
      for (let i = 0; i < 10; i++) {
        const result = await upgrade(running.url, { cookie, origin: running.url, path: GATEWAY_PATH });
        if (!result.opened) throw new Error(`refused: ${result.status}`);
        sockets.push(result.socket);
      }
      const last = sockets[9];
      for (let i = 0; i < 99; i++) last.ws.send(JSON.stringify({ event: 'echo', data: i }));
      last.ws.send(JSON.stringify({ event: 'ping' }));
      await last.next((m) => m.event === 'pong');
      await last.next((m) => m.event === 'echo' && m.data === 98);
      for (const socket of sockets) expect(socket.ws.readyState).toBe(socket.ws.OPEN);
      for (const socket of sockets) socket.ws.close();
    });
  });

  describe('AxessIoAdapter', () => {
    let running: SocketApp;
    beforeAll(async () => {
      running = await startSocketApp('express', 'socket.io', { twoGateways: true });
    });
    afterAll(async () => {
      await running?.close();
    });

    it('10 sockets of one session stay connected, 100 messages at once are answered, both gateways answer', async () => {
      const { cookie } = await signIn(running.url);
      const clients: IoTestClient[] = [];
      for (let i = 0; i < 10; i++) clients.push(await openIo(running.url, cookie, ['websocket']));
      const last = clients[9];
      for (let i = 0; i < 99; i++) last.socket.emit('echo', i);
      last.socket.emit('ping');
      await last.next('pong');
      await last.next('echo', (data) => data === 98);
      for (const client of clients) expect(client.socket.connected).toBe(true);
      for (const client of clients) client.socket.close();
    });
  });
});
