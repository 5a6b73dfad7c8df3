import { AxessSessionService } from '../../src/internal';
import { sendHttpRequest } from '../harness/http-request';
import { openIo } from '../harness/io-client';
import { revokeFrom, sharedKeys, signIn, startSocketApp, type SocketApp } from '../harness/socket-app';

/** Revocations raced against a message on the other instance. */
const TRIES = 40;

// Two instances with AxessIoAdapter on one Valkey: a session ended through B ends its socket.io sockets on A.
describe.each(['express', 'fastify'] as const)('AxessIoAdapter, two instances on %s', (http) => {
  let a: SocketApp;
  let b: SocketApp;

  beforeAll(async () => {
    const keys = sharedKeys();
    a = await startSocketApp(http, 'socket.io', { keys });
    b = await startSocketApp(http, 'socket.io', { keys });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a session revoked through B: its sockets on A get axess:session-ended { reason: "revoked" }, then are disconnected', async () => {
    const { cookie, id } = await signIn(a.url);
    const phone = await openIo(a.url, cookie);
    const laptop = await openIo(a.url, cookie, ['websocket']);
    expect(await revokeFrom(b.url, id)).toBe(200);
    for (const client of [phone, laptop]) {
      expect(await client.next('axess:session-ended')).toEqual({ reason: 'revoked' });
      expect((await client.disconnected).reason).toBe('io server disconnect');
    }
  });

  it('sign out everywhere through B: every socket of the user on A gets axess:session-ended { reason: "revoked" }', async () => {
    const phone = await openIo(a.url, (await signIn(a.url, 'bob')).cookie);
    const laptop = await openIo(a.url, (await signIn(a.url, 'bob')).cookie);
    const desktop = await signIn(b.url, 'bob');
    expect((await sendHttpRequest(b.url, 'POST', '/logout-all', { cookie: desktop.cookie })).status).toBe(200);
    for (const client of [phone, laptop]) {
      expect(await client.next('axess:session-ended')).toEqual({ reason: 'revoked' });
      expect((await client.disconnected).reason).toBe('io server disconnect');
    }
  });

  it('revokeEveryone through B: the sockets of every user on both instances get axess:session-ended { reason: "revoked:everyone" }', async () => {
    const onA = await openIo(a.url, (await signIn(a.url, 'carol')).cookie);
    const onB = await openIo(b.url, (await signIn(b.url, 'dave')).cookie);
    await b.app.get(AxessSessionService).revokeEveryone();
    for (const client of [onA, onB]) {
      expect(await client.next('axess:session-ended')).toEqual({ reason: 'revoked:everyone' });
      expect((await client.disconnected).reason).toBe('io server disconnect');
    }
  });

  it(`a guarded message sent on A the moment B answered a revocation is never handled (${TRIES} tries)`, async () => {
    const answered: number[] = [];
    for (let i = 0; i < TRIES; i++) {
      const { cookie, id } = await signIn(a.url);
      const client = await openIo(a.url, cookie, ['websocket']);
      client.socket.emit('whoami');
      await client.next('session');
      expect(await revokeFrom(b.url, id)).toBe(200);
      client.socket.emit('whoami');
      expect(await client.next('axess:session-ended')).toEqual({ reason: 'revoked' });
      await client.disconnected;
      if (client.events.filter((e) => e.event === 'session').length > 1) answered.push(i);
    }
    expect(answered).toEqual([]);
  });
});
