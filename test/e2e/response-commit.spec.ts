import { listenOnLoopback } from '../harness/listen';
import { BadRequestException, Controller, Get, HttpCode, Module, Post, Res, StreamableFile, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'iovalkey';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { AxessSession, AxessSessionModule, CurrentSession, type AxessSessionModuleOptions } from '../../src/internal';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { cookiePair, send, type AdapterName } from '../harness/http-app';

const ADAPTERS: AdapterName[] = ['express', 'fastify'];
/** Small enough that the `/too-big` value cannot be stored. */
const MAX_PAYLOAD = 2048;

/** The raw Node response behind an Express response (which is one) or a Fastify reply. */
function rawResponse(res: unknown): ServerResponse {
  const reply = res as { raw?: ServerResponse };
  return reply.raw ?? (res as ServerResponse);
}

/** Routes that answer in the ways the commit must follow: raw responses, streams, failures. */
@Controller()
class ResponseCommitController {
  @Get('data')
  data(@CurrentSession() session: AxessSession) {
    return { id: session.id ?? null, data: session.data };
  }

  /** The handler answers itself (`@Res()` without passthrough). */
  @Post('raw')
  raw(@CurrentSession() session: AxessSession, @Res() res: unknown) {
    session.set('raw', true);
    const reply = res as {
      send?: (body: unknown) => void;
      json?: (body: unknown) => void;
      status?: (code: number) => unknown;
      code?: (code: number) => unknown;
    };
    if (typeof reply.code === 'function' && typeof reply.send === 'function' && !('json' in reply)) {
      reply.code(200);
      reply.send({ ok: true });
    } else {
      reply.status!(200);
      reply.json!({ ok: true });
    }
  }

  /** A streamed body after the change. */
  @Post('stream')
  @HttpCode(200)
  stream(@CurrentSession() session: AxessSession) {
    session.set('streamed', true);
    return new StreamableFile(Readable.from([Buffer.from('chunk-1;'), Buffer.from('chunk-2')]));
  }

  /** Output starts before the session changes: the change is still stored before the response ends. */
  @Post('late-change')
  lateChange(@CurrentSession() session: AxessSession, @Res() res: unknown) {
    const raw = rawResponse(res);
    raw.writeHead(200, { 'content-type': 'text/plain' });
    raw.write('early;');
    session.set('late', true);
    raw.end('done');
  }

  @Post('too-big')
  @HttpCode(200)
  tooBig(@CurrentSession() session: AxessSession) {
    session.set('blob', 'x'.repeat(MAX_PAYLOAD * 2));
    return { ok: true };
  }

  @Post('too-big-then-throw')
  tooBigThenThrow(@CurrentSession() session: AxessSession) {
    session.set('blob', 'x'.repeat(MAX_PAYLOAD * 2));
    throw new BadRequestException('handler failed');
  }

  @Post('set')
  @HttpCode(200)
  set(@CurrentSession() session: AxessSession) {
    session.set('a', 1);
    return { ok: true };
  }
}

async function startApp(
  adapter: AdapterName,
  options: Partial<AxessSessionModuleOptions>,
): Promise<{ app: INestApplication; url: string }> {
  const moduleOptions: AxessSessionModuleOptions = {
    store: 'memory',
    prefix: uniquePrefix('respcommit'),
    encryptionKey: randomKey(),
    signingKey: randomKey(),
    maxPayloadBytes: MAX_PAYLOAD,
    ...options,
  };

  @Module({ imports: [AxessSessionModule.forRoot(moduleOptions)], controllers: [ResponseCommitController] })
  class ResponseCommitModule {}

  const ref = await Test.createTestingModule({ imports: [ResponseCommitModule] }).compile();
  return listenOnLoopback(ref, adapter);
}

describe.each(ADAPTERS)('session commit driven by the response on %s', (adapter) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await startApp(adapter, {}));
  });
  afterAll(() => app.close());

  it('commits and sets the cookie when the handler answers itself (@Res() without passthrough)', async () => {
    const answer = await send(url, 'POST', '/raw');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true });
    const cookie = cookiePair(answer);
    expect(cookie).toBeDefined();
    expect((await send(url, 'GET', '/data', { cookie })).body.data).toEqual({ raw: true });
  });

  it('commits and sets the cookie before a streamed body', async () => {
    const answer = await send(url, 'POST', '/stream');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('chunk-1;chunk-2');
    const cookie = cookiePair(answer);
    expect(cookie).toBeDefined();
    expect((await send(url, 'GET', '/data', { cookie })).body.data).toEqual({ streamed: true });
  });

  it('stores a change made after the output started before the response ends (the cookie cannot follow)', async () => {
    const cookie = cookiePair(await send(url, 'POST', '/set'));
    const answer = await send(url, 'POST', '/late-change', { cookie });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('early;done');
    expect(answer.setCookies).toEqual([]);
    expect((await send(url, 'GET', '/data', { cookie })).body.data).toEqual({ a: 1, late: true });
  });

  it('a commit that fails on a success turns it into the error response, without a cookie', async () => {
    const answer = await send(url, 'POST', '/too-big');
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ statusCode: 500, message: 'Internal server error' });
    expect(answer.setCookies).toEqual([]);
  });

  it("a commit that fails after the handler's error keeps the handler's error", async () => {
    const answer = await send(url, 'POST', '/too-big-then-throw');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ statusCode: 400, message: 'handler failed' });
    expect(answer.setCookies).toEqual([]);
  });

  it('keeps serving after failed commits (the connection stays usable)', async () => {
    await send(url, 'POST', '/too-big');
    const answer = await send(url, 'POST', '/set');
    expect(answer.status).toBe(200);
    expect((await send(url, 'GET', '/data', { cookie: cookiePair(answer) })).body.data).toEqual({ a: 1 });
  });

  describe('when Valkey is down at commit time', () => {
    let server: ValkeyTestServer;
    let client: Redis;
    let down: { app: INestApplication; url: string };
    beforeAll(async () => {
      server = await startValkeyServer();
      client = new Redis(server.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
      await new Promise((resolve) => client.once('ready', resolve));
      down = await startApp(adapter, { store: undefined, client });
      await server.stop();
      await new Promise<void>((resolve) => (client.status === 'end' ? resolve() : client.once('end', () => resolve())));
    });
    afterAll(async () => {
      await down?.app.close();
      if (client.status !== 'end') client.disconnect();
      await server.stop();
    });

    it('answers 503 with the body the exception filter sends for it, and no cookie', async () => {
      const answer = await send(down.url, 'POST', '/set');
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ statusCode: 503, message: 'Session store unavailable' });
      expect(answer.setCookies).toEqual([]);
    });
  });
});
