import { Body, Controller, Delete, Get, Module, Post, Req, Session } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Redis } from 'iovalkey';
import { AxessSessionModule, AxessSessionService, CurrentSession, type AxessSession } from '../../src/index';
import { cookiePair, send } from '../harness/http-app';
import { listenOnLoopback, type AdapterName } from '../harness/listen';
import { randomKey, testClient, uniquePrefix } from '../harness/valkey';

type LegacySession = Record<string, unknown> & {
  id: string;
  cookie: { maxAge: number | null; expires: Date | null; httpOnly: boolean };
  regenerate(cb: (err?: unknown) => void): void;
  save(cb: (err?: unknown) => void): void;
  destroy(cb: (err?: unknown) => void): void;
  reload(cb: (err?: unknown) => void): void;
  touch(): unknown;
};

function call(session: LegacySession, method: 'regenerate' | 'save' | 'destroy' | 'reload'): Promise<string | undefined> {
  return new Promise((resolve) =>
    session[method]((err) => resolve(err === undefined ? undefined : err instanceof Error ? err.message : 'error')),
  );
}

/** Code written for express-session: `@Session()` from @nestjs/common and `req.session`, next to the library's own handle. */
@Controller('legacy')
class LegacyController {
  constructor(private readonly sessions: AxessSessionService) {}

  @Get('views')
  views(@Session() session: LegacySession) {
    session.views = ((session.views as number | undefined) ?? 0) + 1;
    return { views: session.views, id: session.id };
  }

  @Get('read')
  read(@Req() req: { session: LegacySession; sessionID: string }, @CurrentSession() handle: AxessSession) {
    return {
      views: req.session.views ?? null,
      note: req.session.note ?? null,
      keys: Object.keys(req.session),
      json: JSON.parse(JSON.stringify(req.session)) as unknown,
      sameId: req.sessionID === req.session.id,
      handleNote: handle.get('note') ?? null,
      id: req.session.id,
    };
  }

  @Post('note')
  note(@Session() session: LegacySession, @Body('note') note: string) {
    session.note = note;
    return { ok: true };
  }

  @Post('nested')
  nested(@Session() session: LegacySession) {
    // In place, as express-session code does: the change is saved.
    session.cart ??= { items: [] as string[] };
    (session.cart as { items: string[] }).items.push('apple');
    return { ok: true };
  }

  @Get('cart')
  cart(@CurrentSession() handle: AxessSession) {
    return { cart: handle.get('cart') ?? null };
  }

  @Delete('note')
  forget(@Session() session: LegacySession) {
    delete session.note;
    return { ok: true };
  }

  @Post('handle-note')
  handleNote(@CurrentSession() handle: AxessSession, @Body('note') note: string) {
    handle.set('note', note);
    return { ok: true };
  }

  @Post('remember')
  remember(@Session() session: LegacySession, @Body('maxAge') maxAge: number | null) {
    session.cookie.maxAge = maxAge;
    return { maxAge: session.cookie.maxAge };
  }

  @Post('regenerate')
  async regenerate(@Session() session: LegacySession) {
    const before = session.id;
    const error = await call(session, 'regenerate');
    return { error: error ?? null, before, views: session.views ?? null };
  }

  @Post('destroy')
  async destroy(@Session() session: LegacySession) {
    return { error: (await call(session, 'destroy')) ?? null };
  }

  @Post('reload')
  async reload(@Session() session: LegacySession) {
    session.note = 'unsaved';
    const error = await call(session, 'reload');
    return { error: error ?? null, note: session.note ?? null };
  }

  @Post('save')
  async save(@Session() session: LegacySession) {
    session.saved = true;
    return { error: (await call(session, 'save')) ?? null, touch: session.touch() === session };
  }

  @Post('sign-in')
  async signIn(@Req() req: object) {
    await this.sessions.authenticate(req, 'alice');
    return { ok: true };
  }
}

describe.each<AdapterName>(['express', 'fastify'])('express-session compatible req.session on %s', (adapter) => {
  let url: string;
  let close: () => Promise<void>;
  let client: Redis;
  let prefix: string;

  beforeAll(async () => {
    client = testClient();
    prefix = uniquePrefix('legacy');
    @Module({
      imports: [
        AxessSessionModule.forRoot({ client, prefix, encryptionKey: randomKey(), signingKey: randomKey(), cookie: { secure: false } }),
      ],
      controllers: [LegacyController],
    })
    class AppModule {}
    const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const started = await listenOnLoopback(ref, adapter);
    url = started.url;
    close = async () => {
      await started.app.close();
      await client.quit();
    };
  });
  afterAll(() => close());

  async function fresh(): Promise<string> {
    return cookiePair(await send(url, 'GET', '/legacy/views'))!;
  }

  it("persists `session.views = (session.views ?? 0) + 1` through Nest's @Session()", async () => {
    const first = await send(url, 'GET', '/legacy/views');
    expect(first.body.views).toBe(1);
    const cookie = cookiePair(first)!;
    expect((await send(url, 'GET', '/legacy/views', { cookie })).body.views).toBe(2);
    expect((await send(url, 'GET', '/legacy/views', { cookie })).body.views).toBe(3);
  });

  it('gives the id the session is stored under, the same on req.session.id and req.sessionID', async () => {
    const first = await send(url, 'GET', '/legacy/views');
    const cookie = cookiePair(first)!;
    const read = await send(url, 'GET', '/legacy/read', { cookie });
    expect(read.body.id).toBe(first.body.id);
    expect(read.body.sameId).toBe(true);
    expect(await client.exists(`${prefix}:sess:${first.body.id}`)).toBe(1);
  });

  it('shares one state with the AxessSession handle, both ways', async () => {
    const cookie = await fresh();
    await send(url, 'POST', '/legacy/note', { cookie, body: { note: 'from req.session' } });
    let read = await send(url, 'GET', '/legacy/read', { cookie });
    expect(read.body.note).toBe('from req.session');
    expect(read.body.handleNote).toBe('from req.session');
    await send(url, 'POST', '/legacy/handle-note', { cookie, body: { note: 'from the handle' } });
    read = await send(url, 'GET', '/legacy/read', { cookie });
    expect(read.body.note).toBe('from the handle');
    expect([...(read.body.keys as string[])].sort()).toEqual(['note', 'views']);
    expect(read.body.json).toEqual({ views: 1, note: 'from the handle' });
  });

  it('saves a value changed in place and a deleted property', async () => {
    const cookie = await fresh();
    await send(url, 'POST', '/legacy/nested', { cookie, body: {} });
    await send(url, 'POST', '/legacy/nested', { cookie, body: {} });
    expect((await send(url, 'GET', '/legacy/cart', { cookie })).body.cart).toEqual({ items: ['apple', 'apple'] });
    await send(url, 'POST', '/legacy/note', { cookie, body: { note: 'x' } });
    await send(url, 'DELETE', '/legacy/note', { cookie });
    expect((await send(url, 'GET', '/legacy/read', { cookie })).body.note).toBeNull();
  });

  it('cookie.maxAge makes the cookie persistent for that long, null a browser-session cookie', async () => {
    const cookie = await fresh();
    const remember = await send(url, 'POST', '/legacy/remember', { cookie, body: { maxAge: 30 * 24 * 3600_000 } });
    // Never past the absolute deadline (12 hours by default).
    expect(remember.body.maxAge).toBeLessThanOrEqual(12 * 3600_000);
    expect(remember.body.maxAge).toBeGreaterThan(12 * 3600_000 - 60_000);
    const persistent = remember.setCookies.find((c) => c.startsWith('axess.sid='))!;
    expect(Number(/Max-Age=(\d+)/.exec(persistent)![1])).toBeLessThanOrEqual(12 * 3600);
    const short = await send(url, 'POST', '/legacy/remember', { cookie, body: { maxAge: 3600_000 } });
    expect(Number(/Max-Age=(\d+)/.exec(short.setCookies.find((c) => c.startsWith('axess.sid='))!)![1])).toBe(3600);
    const browserSession = await send(url, 'POST', '/legacy/remember', { cookie, body: { maxAge: null } });
    const value = browserSession.setCookies.find((c) => c.startsWith('axess.sid='))!;
    expect(value).not.toMatch(/Max-Age|Expires/i);
    expect(browserSession.body.maxAge).toBeNull();
    // The choice is stored with the session: the same cookie value keeps working.
    expect(cookiePair(browserSession)).toBe(cookie);
    expect((await send(url, 'GET', '/legacy/views', { cookie })).body.views).toBe(2);
  });

  it('regenerate(cb) empties the data and moves the session to a new id', async () => {
    const cookie = await fresh();
    const regenerated = await send(url, 'POST', '/legacy/regenerate', { cookie, body: {} });
    expect(regenerated.body).toMatchObject({ error: null, views: null });
    const next = cookiePair(regenerated)!;
    expect(next).not.toBe(cookie);
    expect(await client.exists(`${prefix}:sess:${regenerated.body.before}`)).toBe(0);
    expect((await send(url, 'GET', '/legacy/views', { cookie: next })).body.views).toBe(1);
  });

  it('destroy(cb) deletes the record and clears the cookie', async () => {
    const cookie = await fresh();
    const id = (await send(url, 'GET', '/legacy/read', { cookie })).body.id;
    const destroyed = await send(url, 'POST', '/legacy/destroy', { cookie, body: {} });
    expect(destroyed.body.error).toBeNull();
    expect(destroyed.setCookies.some((c) => c.startsWith('axess.sid=;'))).toBe(true);
    expect(await client.exists(`${prefix}:sess:${id}`)).toBe(0);
  });

  it('reload(cb) drops uncommitted changes; on a session that is not stored it calls back with an error', async () => {
    const cookie = await fresh();
    expect((await send(url, 'POST', '/legacy/reload', { cookie, body: {} })).body).toEqual({ error: null, note: null });
    const none = await send(url, 'POST', '/legacy/reload', { body: {} });
    expect(none.body.error).toMatch(/failed to load session/);
  });

  it('save(cb) calls back once the change is ready to be written, and touch() is chainable', async () => {
    const cookie = await fresh();
    expect((await send(url, 'POST', '/legacy/save', { cookie, body: {} })).body).toEqual({ error: null, touch: true });
  });

  it('an id from the cookie of a stored session is never replaced by a request that reads it', async () => {
    const cookie = await fresh();
    const a = await send(url, 'GET', '/legacy/read', { cookie });
    const b = await send(url, 'GET', '/legacy/read', { cookie });
    expect(a.body.id).toBe(b.body.id);
    expect(a.setCookies).toEqual([]);
  });

  it('keeps data gathered before a sign-in and sees the signed-in session afterwards', async () => {
    const cookie = await fresh();
    const login = await send(url, 'POST', '/legacy/sign-in', { cookie, body: {} });
    const signedIn = cookiePair(login)!;
    expect(signedIn).not.toBe(cookie);
    expect((await send(url, 'GET', '/legacy/views', { cookie: signedIn })).body.views).toBe(2);
  });
});
