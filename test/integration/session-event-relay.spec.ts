import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'iovalkey';
import {
  AxessSessionEvents,
  AxessSessionModule,
  mintSessionId,
  type AxessSessionEvent,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { keySlot } from '../../src/valkey/valkey-channel.subscriber';
import { ValkeyEventRelay } from '../../src/valkey/valkey-event.relay';
import { randomKey, testValkeyUrl, uniquePrefix } from '../harness/valkey';
import { clientIdsNamed, waitFor } from '../harness/wait-for';

/** One instance of an app: the session module alone, on the suite's Valkey. */
async function instance(options: Partial<AxessSessionModuleOptions>): Promise<INestApplicationContext> {
  const ref = await Test.createTestingModule({
    imports: [AxessSessionModule.forRoot({ connection: { url: testValkeyUrl() }, mountMiddleware: false, ...options })],
  }).compile();
  return ref.init();
}

/** Every event an instance's listeners see. */
function record(app: INestApplicationContext): AxessSessionEvent[] {
  const seen: AxessSessionEvent[] = [];
  app.get(AxessSessionEvents).onAny((event) => void seen.push(event));
  return seen;
}

describe('session events across instances (Valkey pub/sub)', () => {
  const shared = { prefix: uniquePrefix('relay'), encryptionKey: randomKey(), signingKey: randomKey() };
  let a: INestApplicationContext;
  let b: INestApplicationContext;
  let seenByB: AxessSessionEvent[];

  beforeAll(async () => {
    a = await instance(shared);
    b = await instance(shared);
    seenByB = record(b);
    await waitFor(() => a.get(ValkeyEventRelay).subscribed && b.get(ValkeyEventRelay).subscribed, 'both relays subscribed');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it.each([
    ['revoked', { type: 'revoked', userId: 'alice', reason: 'revoked' }],
    ['logged-out', { type: 'logged-out', userId: 'alice', reason: 'logged-out' }],
    ['expired-on-access', { type: 'expired-on-access', userId: 'alice', reason: 'expired:absolute-timeout' }],
    ['authenticated', { type: 'authenticated', userId: 'alice', reason: 'login' }],
  ] as const)('a %s event on one instance reaches the other, marked remote, with its instant', async (_type, input) => {
    const sessionId = mintSessionId();
    a.get(AxessSessionEvents).emit({ ...input, sessionId });
    const arrived = await waitFor(() => seenByB.find((e) => e.sessionId === sessionId), 'the remote event');
    expect(arrived).toEqual({ ...input, sessionId, remote: true, at: expect.any(Date) });
  });

  it('an eviction carries the session that caused it', async () => {
    const [sessionId, bySessionId] = [mintSessionId(), mintSessionId()];
    a.get(AxessSessionEvents).emit({ type: 'evicted', userId: 'bob', sessionId, bySessionId, reason: 'evicted:newer-sign-in' });
    const arrived = await waitFor(() => seenByB.find((e) => e.sessionId === sessionId), 'the remote eviction');
    expect(arrived).toEqual({
      type: 'evicted',
      userId: 'bob',
      sessionId,
      bySessionId,
      reason: 'evicted:newer-sign-in',
      remote: true,
      at: expect.any(Date),
    });
  });

  it("an instance does not hear its own events twice, and 'created' and 'rejected' stay local", async () => {
    const seenByA = record(a);
    const [mine, created] = [mintSessionId(), mintSessionId()];
    a.get(AxessSessionEvents).emit({ type: 'created', sessionId: created, reason: 'first-write' });
    a.get(AxessSessionEvents).emit({ type: 'rejected', sessionId: created, reason: 'undecryptable' });
    a.get(AxessSessionEvents).emit({ type: 'revoked', userId: 'carol', sessionId: mine, reason: 'revoked' });
    await waitFor(() => seenByB.some((e) => e.sessionId === mine), 'the revocation at the other instance');
    // A later event has crossed too: everything published before it was delivered.
    const marker = mintSessionId();
    a.get(AxessSessionEvents).emit({ type: 'revoked', userId: 'carol', sessionId: marker, reason: 'revoked' });
    await waitFor(() => seenByB.some((e) => e.sessionId === marker), 'the marker');
    expect(seenByA.filter((e) => e.sessionId === mine)).toEqual([expect.objectContaining({ type: 'revoked' })]);
    expect(seenByA.filter((e) => e.sessionId === mine)[0]).not.toHaveProperty('remote');
    expect(seenByB.filter((e) => e.sessionId === created)).toEqual([]);
  });

  it('messages are sealed: the channel never shows a session id, and a forged message is dropped', async () => {
    const relay = a.get(ValkeyEventRelay);
    const spy = new Redis(testValkeyUrl());
    const heard: Buffer[] = [];
    spy.on('messageBuffer', (_channel: Buffer, message: Buffer) => void heard.push(message));
    await spy.subscribe(relay.channel);
    try {
      const sessionId = mintSessionId();
      a.get(AxessSessionEvents).emit({ type: 'revoked', userId: 'dave', sessionId, reason: 'revoked' });
      await waitFor(() => heard.length > 0, 'the message on the channel');
      expect(heard[0].toString('latin1')).not.toContain(sessionId);
      expect(heard[0].toString('latin1')).not.toContain('dave');

      const forged = mintSessionId();
      const publisher = new Redis(testValkeyUrl());
      await publisher.publish(relay.channel, JSON.stringify({ v: 1, i: 'x', t: 'revoked', s: forged, r: 'revoked', a: Date.now() }));
      await publisher.quit();
      const marker = mintSessionId();
      a.get(AxessSessionEvents).emit({ type: 'revoked', userId: 'dave', sessionId: marker, reason: 'revoked' });
      await waitFor(() => seenByB.some((e) => e.sessionId === marker), 'the marker');
      expect(seenByB.filter((e) => e.sessionId === forged)).toEqual([]);
    } finally {
      await spy.quit();
    }
  });

  it('a subscriber connection killed: it subscribes again and reports that events may have been missed', async () => {
    let missed = 0;
    b.get(AxessSessionEvents).onMissedEvents(() => void (missed += 1));
    const admin = new Redis(testValkeyUrl());
    try {
      // Both instances' subscribers (named after their channel); no other test's connection.
      const ids = await clientIdsNamed(admin, b.get(ValkeyEventRelay).connectionName);
      expect(ids).toHaveLength(2);
      for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
      await waitFor(() => missed > 0 && b.get(ValkeyEventRelay).subscribed, 'the missed-events report');
      const sessionId = mintSessionId();
      a.get(AxessSessionEvents).emit({ type: 'revoked', userId: 'erin', sessionId, reason: 'revoked' });
      await waitFor(() => seenByB.some((e) => e.sessionId === sessionId), 'an event after the reconnect');
    } finally {
      await admin.quit();
    }
  });
});

describe('the Cluster slot of the channel', () => {
  it('is CRC16-XMODEM modulo 16384, hash tags honoured', () => {
    // Reference values from the Cluster specification and `CLUSTER KEYSLOT`.
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('axess:events')).toBe(keySlot('axess:events'));
  });
});
