import { Redis } from 'iovalkey';
import { AxessSessionEvents } from '../../src/internal';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { idOfCookie, probe, sessionCookie, startProbeApp, type ProbeAnswer, type ProbeApp } from '../harness/probe-app';
import { randomKey } from '../harness/valkey';

/**
 * Keys and session data never reach a log line or an error response, on every failure path the
 * app can take: forged cookies, tampered and foreign records, a broken registry (fail closed
 * and fail open), a throwing event listener, an unusable user id, and Valkey going down with
 * requests reading and writing sessions. Every line each app logs is captured and searched.
 */

const ENCRYPTION_KEY = randomKey();
const SIGNING_KEY = randomKey();
const USER = 'logs-probe-user-5b2e';
const DATA = { apiTokenField: 'tok-logs-probe-3e1a9c', emailField: 'logs.probe@example.test' };

/** Each key in every spelling a log line could carry it. */
function keyForms(key: Buffer): string[] {
  return [
    key.toString('base64'),
    key.toString('base64url'),
    key.toString('hex'),
    key.toString('base64').slice(0, 16),
    key.toString('hex').slice(0, 16),
  ];
}

describe('no key or session data in logs or error responses, on every failure path', () => {
  let server: ValkeyTestServer;
  let admin: Redis;
  let t: ProbeApp;
  let failOpen: ProbeApp;
  const cookies: string[] = [];
  const answers: ProbeAnswer[] = [];
  // Nest's static logger (what library classes log through) writes to the app created last: read both.
  const lines = () => [...t.log.lines, ...failOpen.log.lines];
  const send = async (app: ProbeApp, method: string, path: string, options: Parameters<typeof probe>[3] = {}) => {
    const answer = await probe(app.url, method, path, options);
    answers.push(answer);
    return answer;
  };

  beforeAll(async () => {
    server = await startValkeyServer();
    admin = new Redis(server.url);
    const options = {
      connection: { url: server.url },
      commandTimeoutMs: 300,
      encryptionKey: ENCRYPTION_KEY.toString('base64'),
      signingKey: SIGNING_KEY,
      maxSessionsPerUser: 2,
    };
    t = await startProbeApp({ ...options, prefix: 'logs' });
    failOpen = await startProbeApp({ ...options, prefix: 'logs-open', failOpen: true });
  });
  afterAll(async () => {
    await t.close();
    await failOpen.close();
    admin.disconnect();
    await server.stop();
  });

  it('walks every failure path (each one observable), then finds no secret in any line or body', async () => {
    // A user with data, and an anonymous session with data.
    const login = await send(t, 'POST', '/login', { headers: { 'x-user': USER } });
    const user = sessionCookie(login)!;
    cookies.push(user);
    expect((await send(t, 'POST', '/data', { cookie: user, body: DATA })).status).toBe(200);
    const anonymous = sessionCookie(await send(t, 'POST', '/data', { body: DATA }))!;
    cookies.push(anonymous);

    // 1. A forged cookie (the real id, a MAC made with another key).
    const forged = `__Host-axess.sid=${idOfCookie(user)}.${'A'.repeat(43)}`;
    expect((await send(t, 'GET', '/visit', { cookie: forged })).body.id).toBeNull();

    // 2. A tampered record: one bit flipped in Valkey.
    const anonymousKey = `logs:sess:${idOfCookie(anonymous)}`;
    const sealed = (await admin.getBuffer(anonymousKey))!;
    sealed[sealed.length - 1] ^= 1;
    await admin.set(anonymousKey, sealed, 'PX', 60_000);
    expect((await send(t, 'GET', '/visit', { cookie: anonymous })).body.id).toBeNull();

    // 3. A foreign record: the user's sealed record copied under the anonymous id.
    await admin.copy(`logs:sess:${idOfCookie(user)}`, anonymousKey, 'REPLACE');
    expect((await send(t, 'GET', '/visit', { cookie: anonymous })).body.id).toBeNull();
    const unreadable = lines().filter((l) => /unreadable session record/.test(l.text));
    expect(unreadable.length).toBe(2);

    // 4. A broken registry: fail closed (503), and fail open (logged, let through).
    await admin.set(`logs:reg:${USER}`, 'not a sorted set');
    await admin.set(`logs-open:reg:${USER}`, 'not a sorted set');
    expect((await send(t, 'POST', '/login', { headers: { 'x-user': USER } })).status).toBe(503);
    const open = await send(failOpen, 'POST', '/login', { headers: { 'x-user': USER } });
    expect(open.status).toBe(200);
    cookies.push(sessionCookie(open)!);
    expect(lines().some((l) => /admission failed; the login is refused/.test(l.text))).toBe(true);
    expect(lines().some((l) => /admission failed; the login proceeds/.test(l.text))).toBe(true);

    // 5. An event listener that throws with what it was given.
    const events = t.app.get(AxessSessionEvents);
    const off = events.on('authenticated', () => {
      throw new Error('listener failed');
    });
    await admin.del(`logs:reg:${USER}`);
    const relogin = await send(t, 'POST', '/login', { headers: { 'x-user': USER } });
    expect(relogin.status).toBe(200);
    cookies.push(sessionCookie(relogin)!);
    off();
    expect(lines().some((l) => /listener failed/.test(l.text))).toBe(true);

    // 6. A user id the service refuses (empty): a typed error, answered without detail.
    expect((await send(t, 'POST', '/service-login', { body: { user: '' } })).status).toBeGreaterThanOrEqual(400);
    // A user id far over a key's comfortable size works (it is hashed into its registry key).
    const hugeUser = `${USER}-${'x'.repeat(600)}`;
    const huge = await send(t, 'POST', '/login', { headers: { 'x-user': hugeUser } });
    expect(huge.status).toBe(200);
    cookies.push(sessionCookie(huge)!);

    // 7. Valkey down while sessions are read and written.
    await server.stop();
    expect((await send(t, 'GET', '/me', { cookie: user })).status).toBe(503);
    expect((await send(t, 'POST', '/data', { cookie: user, body: DATA })).status).toBe(503);
    expect((await send(t, 'POST', '/data', { body: DATA })).status).toBe(503);
    expect((await send(t, 'POST', '/login', { headers: { 'x-user': USER } })).status).toBe(503);
    expect(lines().some((l) => /Valkey connection error/.test(l.text))).toBe(true);

    // Now search everything logged and answered.
    const secrets = [
      ...keyForms(ENCRYPTION_KEY),
      ...keyForms(SIGNING_KEY),
      ...Object.values(DATA),
      ...Object.keys(DATA),
      USER,
      ...cookies.map((c) => idOfCookie(c)!),
      ...cookies.map((c) => c.slice(c.lastIndexOf('.') + 1)),
    ];
    const logged = `${t.log.text()}\n${failOpen.log.text()}`;
    const bodies = answers.map((a) => JSON.stringify(a.body)).join('\n');
    expect(secrets.filter((s) => logged.includes(s))).toEqual([]);
    expect(
      secrets.filter((s) =>
        bodies.replace(/"data":\{[^}]*\}|"userId":"[^"]*"|"(id|sessionId)":"[^"]*"|"evicted":\[[^\]]*\]/g, '').includes(s),
      ),
    ).toEqual([]);
    // The long user id (accepted, hashed into its registry key) is never logged.
    expect(logged).not.toContain('x'.repeat(100));
  });
});
