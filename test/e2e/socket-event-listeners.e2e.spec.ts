import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AxessSessionEvents, AxessSessionModule, mintSessionId, type AxessSessionEvent } from '../../src/internal';
import { ManualClock } from '../../src/testing';
import { AxessWsAdapter } from '../../src/ws';
import { listenOnLoopback } from '../harness/listen';
import { GATEWAY_PATH, SessionTestGateway } from '../harness/session-gateway.app';
import { HeaderAuthGuard, SessionTestController } from '../harness/session-test.app';
import { revokeFrom, signIn } from '../harness/socket-app';
import { randomKey } from '../harness/valkey';
import { upgrade } from '../harness/ws-client';

/** A manual clock that counts how often an instant was asked for: an event is stamped only when someone listens. */
class CountingClock extends ManualClock {
  stamps = 0;
  override now(): Date {
    this.stamps++;
    return super.now();
  }
}

const options = (clock: CountingClock) => ({ store: 'memory' as const, clock, encryptionKey: randomKey(), signingKey: randomKey() });

/**
 * The WebSocket side of sessions listens to session events only once an adapter uses it: an app
 * without sockets (here on the in-memory store, which relays nothing) keeps the events' no-listener
 * fast path, and an app with `AxessWsAdapter` still closes a socket whose session is revoked.
 */
describe('session event listeners and WebSockets', () => {
  it('an app that uses no WebSocket adapter registers no event listener: emitting an event does no work', async () => {
    const clock = new CountingClock();
    const ref = await Test.createTestingModule({ imports: [AxessSessionModule.forRoot(options(clock))] }).compile();
    const app = await ref.init();
    try {
      const events = app.get(AxessSessionEvents);
      const before = clock.stamps;
      events.emit({ type: 'revoked', sessionId: mintSessionId(), userId: 'alice', reason: 'revoked' });
      expect(clock.stamps).toBe(before);
      // The same call with a listener of the app's own is stamped and delivered.
      const heard: AxessSessionEvent[] = [];
      events.onAny((event) => void heard.push(event));
      events.emit({ type: 'revoked', sessionId: mintSessionId(), userId: 'alice', reason: 'revoked' });
      expect(clock.stamps).toBe(before + 1);
      expect(heard.map((event) => event.type)).toEqual(['revoked']);
    } finally {
      await app.close();
    }
  });

  describe('with AxessWsAdapter', () => {
    const clock = new CountingClock();
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      @Module({
        imports: [AxessSessionModule.forRoot(options(clock))],
        controllers: [SessionTestController],
        providers: [HeaderAuthGuard, SessionTestGateway],
      })
      class MemorySocketAppModule {}
      const ref = await Test.createTestingModule({ imports: [MemorySocketAppModule] }).compile();
      ({ app, url } = await listenOnLoopback(ref, 'express', {
        beforeInit: (created) => created.useWebSocketAdapter(new AxessWsAdapter(created)),
      }));
    });
    afterAll(async () => {
      await app?.close();
    });

    it('a socket is closed with 4001 "revoked" when its session is revoked, and events are listened to once a socket opened', async () => {
      const { cookie, id } = await signIn(url);
      const result = await upgrade(url, { cookie, origin: url, path: GATEWAY_PATH });
      if (!result.opened) throw new Error(`refused: ${result.status}`);
      const before = clock.stamps;
      app.get(AxessSessionEvents).emit({ type: 'rejected', sessionId: mintSessionId(), reason: 'undecryptable' });
      expect(clock.stamps).toBe(before + 1);
      expect(await revokeFrom(url, id)).toBe(200);
      const closed = await result.socket.closed;
      expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4001, reason: 'revoked' });
    });
  });
});
