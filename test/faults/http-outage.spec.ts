import { rmSync } from 'node:fs';
import { Redis } from 'iovalkey';
import { SessionBackend } from '../../src/internal';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { idOfCookie, probe, sessionCookie, startProbeApp, type ProbeAnswer, type ProbeApp } from '../harness/probe-app';
import { randomKey, uniquePrefix } from '../harness/valkey';

/**
 * The whole app (Express, the module's own Valkey client built from `connection.url`) while
 * Valkey goes away, comes back, or stalls: requests with a session answer 503 with a JSON body
 * (never 500, never a hang: each request has a deadline), nothing rejects unhandled, nothing is
 * logged as an unexpected error, and the app recovers without a restart.
 */

const COMMAND_TIMEOUT_MS = 300;
// A request that has not answered by then counts as hung.
const REQUEST_DEADLINE_MS = 8_000;

const UNAVAILABLE = { statusCode: 503, message: 'Session store unavailable' };

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

describe('the app on a failing Valkey (Express, module-created client)', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  let server: ValkeyTestServer;
  let dir: string;
  let t: ProbeApp;
  const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
  const send = (method: string, path: string, options: Parameters<typeof probe>[3] = {}) =>
    probe(t.url, method, path, { timeoutMs: REQUEST_DEADLINE_MS, ...options });

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startValkeyServer({ args });
    dir = server.dir;
    t = await startProbeApp({
      connection: { url: server.url },
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      prefix: uniquePrefix('http-fault'),
      encryptionKey: randomKey(),
      signingKey: randomKey(),
    });
  });
  afterAll(async () => {
    await t?.close();
    server?.resume();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    await new Promise((resolve) => setImmediate(resolve));
    process.removeListener('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
    // A 503 is an answer, not an accident: Nest logs only unexpected errors (500s) here.
    expect(t.log.text()).not.toMatch(/ExceptionsHandler/);
  });

  it('builds its client with the configured command timeout', () => {
    expect((t.app.get(SessionBackend).connection!.client as Redis).options.commandTimeout).toBe(COMMAND_TIMEOUT_MS);
  });

  it('Valkey stopped mid-traffic: 503s with a body, then the same app serves the same sessions once Valkey is back', async () => {
    // Ten browsers with a session each, and a login.
    const cookies: string[] = [];
    for (let i = 0; i < 10; i++) cookies.push(sessionCookie(await send('POST', '/data', { body: { browser: i } }))!);
    const login = await send('POST', '/login', { headers: { 'x-user': 'outage-user' } });
    const userCookie = sessionCookie(login)!;

    let running = true;
    const answers: Array<ProbeAnswer | { error: string }> = [];
    const traffic = cookies.map(async (cookie, i) => {
      while (running) {
        answers.push(await send('GET', '/visit', { cookie }).catch((error: Error) => ({ error: error.message })));
        answers.push(
          await send('POST', '/data', { cookie, body: { browser: i, seen: answers.length } }).catch((error: Error) => ({
            error: error.message,
          })),
        );
      }
    });
    await until('traffic', 5_000, async () => answers.length >= 40);
    await server.stop({ keepDir: true });
    await until('503s while down', 15_000, async () => answers.filter((a) => 'status' in a && a.status === 503).length >= 40);
    running = false;
    await Promise.all(traffic);

    // Every request was answered: 200 before the stop (or just as it happened), 503 after.
    for (const answer of answers) {
      expect(answer).toHaveProperty('status');
      const { status, body } = answer as ProbeAnswer;
      expect([200, 503]).toContain(status);
      if (status === 503) expect(body).toMatchObject(UNAVAILABLE);
    }
    // While down: a login and the authenticated route fail the same way; a visitor without a cookie still gets in.
    expect((await send('POST', '/login', { headers: { 'x-user': 'outage-user' } })).status).toBe(503);
    expect((await send('GET', '/me', { cookie: userCookie })).status).toBe(503);
    expect(await send('GET', '/visit')).toMatchObject({ status: 200, body: { id: null } });

    server = await startValkeyServer({ port: server.port, dir, args });
    // No restart of the app: its client reconnects by itself.
    await until('recovery', 15_000, async () => (await send('GET', '/visit', { cookie: cookies[0] })).status === 200);
    for (const [i, cookie] of cookies.entries()) {
      const seen = await send('GET', '/visit', { cookie });
      expect(seen).toMatchObject({ status: 200, body: { id: idOfCookie(cookie), data: { browser: i } } });
    }
    expect((await send('GET', '/me', { cookie: userCookie })).body).toMatchObject({ userId: 'outage-user' });
    expect((await send('POST', '/login', { headers: { 'x-user': 'after-outage' } })).status).toBe(200);
  });

  it('Valkey frozen (SIGSTOP): requests answer 503 by the command timeout while it is still frozen, then recover', async () => {
    const cookie = sessionCookie(await send('POST', '/data', { body: { frozen: 'before' } }))!;
    server.pause();
    let answers: ProbeAnswer[];
    try {
      answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 3 === 0 ? send('POST', '/data', { cookie, body: { frozen: i } }) : send('GET', '/visit', { cookie }),
        ),
      );
    } finally {
      // Only now is Valkey thawed: every answer above came while it answered nothing.
      server.resume();
    }
    for (const answer of answers) expect(answer).toMatchObject({ status: 503, body: UNAVAILABLE });
    await until('recovery after thaw', 10_000, async () => (await send('GET', '/visit', { cookie })).status === 200);
    expect((await send('GET', '/visit', { cookie })).body).toMatchObject({ id: idOfCookie(cookie), data: { frozen: 'before' } });
  });

  it('Valkey stalling writes (CLIENT PAUSE WRITE; a session read slides its expiry, a write): 503 by the command timeout, then normal service', async () => {
    const cookie = sessionCookie(await send('POST', '/data', { body: { stalled: 'before' } }))!;
    const admin = new Redis(server.url);
    try {
      // The pause is in force once this answers; it outlasts the requests below many times over.
      // WRITE, not ALL: with ALL the UNPAUSE below would wait too.
      await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      let answers: ProbeAnswer[];
      try {
        answers = await Promise.all(Array.from({ length: 30 }, () => send('GET', '/visit', { cookie })));
      } finally {
        await admin.call('CLIENT', 'UNPAUSE');
      }
      for (const answer of answers) expect(answer).toMatchObject({ status: 503, body: UNAVAILABLE });
      await until('recovery after unpause', 10_000, async () => (await send('GET', '/visit', { cookie })).status === 200);
      expect((await send('GET', '/visit', { cookie })).body).toMatchObject({ data: { stalled: 'before' } });
    } finally {
      admin.disconnect();
    }
  });
});
