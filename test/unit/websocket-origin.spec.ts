import type { IncomingMessage } from 'node:http';
import { originAllowed } from '../../src/ws/websocket-sessions';

/** An upgrade request as `ws` hands it over: headers and the socket (TLS or not). */
function upgradeRequest(headers: Record<string, string>, encrypted = false): IncomingMessage {
  return { headers, socket: { encrypted } } as unknown as IncomingMessage;
}

describe('which Origin may open a WebSocket (cross-site WebSocket hijacking)', () => {
  it.each([
    ['http://localhost:3000', 'localhost:3000', false, true],
    ['http://LOCALHOST:3000', 'localhost:3000', false, true],
    ['https://app.example.com', 'app.example.com', true, true],
    ['https://app.example.com:443', 'app.example.com', true, true],
    ['http://localhost:3001', 'localhost:3000', false, false],
    ['https://localhost:3000', 'localhost:3000', false, false],
    ['http://app.example.com', 'app.example.com', true, false],
    ['http://evil.example', 'localhost:3000', false, false],
    ['http://localhost:3000.evil.example', 'localhost:3000', false, false],
    ['null', 'localhost:3000', false, false],
    ['not a url', 'localhost:3000', false, false],
  ])('by default, Origin %s to Host %s (TLS %s): %s', (origin, host, encrypted, allowed) => {
    expect(originAllowed(upgradeRequest({ origin, host }, encrypted), undefined)).toBe(allowed);
  });

  it('refuses a request without Origin by default (browsers always send one on a WebSocket handshake)', () => {
    expect(originAllowed(upgradeRequest({ host: 'localhost:3000' }), undefined)).toBe(false);
  });

  it('a list of origins replaces the default: behind a TLS proxy, the public origin', () => {
    const request = upgradeRequest({ origin: 'https://app.example.com', host: 'internal:8080' });
    expect(originAllowed(request, undefined)).toBe(false);
    expect(originAllowed(request, ['https://app.example.com'])).toBe(true);
    expect(originAllowed(request, ['https://other.example.com', 'not a url'])).toBe(false);
  });

  it('a function decides alone, missing Origin included', () => {
    expect(originAllowed(upgradeRequest({ host: 'x' }), (origin) => origin === undefined)).toBe(true);
    expect(originAllowed(upgradeRequest({ origin: 'http://x', host: 'x' }), () => false)).toBe(false);
  });
});
