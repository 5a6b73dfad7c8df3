import { randomBytes } from 'node:crypto';
import { cookiePair, send, startTestApp, type TestApp } from '../harness/http-app';

const IDLE_MS = 1_000;
const ABSOLUTE_MS = 2_500;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Timeouts with Valkey's own clock (no ManualClock): short real TTLs prove that the sliding idle
 * expiry is Valkey's PX and that the absolute deadline holds however active the session is.
 */
describe.each(['express', 'fastify'] as const)('real-time session expiry on Valkey (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(adapter, 'valkey', { idleTimeoutMs: IDLE_MS, absoluteTimeoutMs: ABSOLUTE_MS });
  });
  afterAll(async () => {
    await t.close();
  });

  const login = async () => {
    const answer = await send(t.url, 'POST', '/login', { headers: { 'x-user': `u-${randomBytes(4).toString('hex')}` } });
    expect(answer.status).toBe(200);
    return cookiePair(answer)!;
  };
  const me = async (cookie: string) => (await send(t.url, 'GET', '/me', { cookie })).status;

  it('an idle session dies when Valkey expires it, and each request pushes that back', async () => {
    const cookie = await login();
    // Three requests spaced at half the idle time: alive only because each one slid the expiry.
    for (let i = 0; i < 3; i++) {
      await sleep(IDLE_MS / 2);
      expect(await me(cookie)).toBe(200);
    }
    await sleep(IDLE_MS + 200);
    expect(await me(cookie)).toBe(401);
  });

  it('an active session still dies at its absolute deadline', async () => {
    const cookie = await login();
    const started = Date.now();
    // Keep it busy well inside the idle timeout until past the absolute deadline.
    while (Date.now() - started < ABSOLUTE_MS - IDLE_MS / 2) {
      expect(await me(cookie)).toBe(200);
      await sleep(IDLE_MS / 3);
    }
    await sleep(ABSOLUTE_MS - (Date.now() - started) + 100);
    expect(await me(cookie)).toBe(401);
  });
});
