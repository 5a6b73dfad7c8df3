import { MessageRate, socketLimits } from '../../src/ws/socket-options';

describe('the limits of the WebSocket adapters', () => {
  it('default to 16 KiB, 10 sockets per session, 100 messages a second and a check of each message', () => {
    expect(socketLimits({})).toEqual({ maxPayload: 16_384, maxSocketsPerSession: 10, maxMessagesPerSecond: 100, recheckEachMessage: true });
  });

  it('take Infinity for the socket and message limits, never for maxPayload', () => {
    expect(socketLimits({ maxSocketsPerSession: Infinity, maxMessagesPerSecond: Infinity })).toMatchObject({
      maxSocketsPerSession: Infinity,
      maxMessagesPerSecond: Infinity,
    });
    expect(() => socketLimits({ maxPayload: Infinity })).toThrow(/maxPayload/);
  });

  it.each([
    ['maxPayload', 0],
    ['maxPayload', 1.5],
    ['maxSocketsPerSession', 0],
    ['maxSocketsPerSession', -1],
    ['maxMessagesPerSecond', Number.NaN],
    ['maxMessagesPerSecond', 2.5],
  ] as const)('refuse %s: %p with a RangeError naming it', (name, value) => {
    expect(() => socketLimits({ [name]: value })).toThrow(new RegExp(name));
    expect(() => socketLimits({ [name]: value })).toThrow(RangeError);
  });
});

describe('MessageRate', () => {
  it('lets `perSecond` messages through within one second and refuses the next; a new second starts afresh', () => {
    let now = 0;
    const rate = new MessageRate(3, () => now);
    expect([rate.take(), rate.take(), rate.take()]).toEqual([true, true, true]);
    now = 999;
    expect(rate.take()).toBe(false);
    now = 1000;
    expect([rate.take(), rate.take(), rate.take(), rate.take()]).toEqual([true, true, true, false]);
  });
});
