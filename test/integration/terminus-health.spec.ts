import { listenOnLoopback } from '../harness/listen';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { AxessSessionModule, type AxessSessionModuleOptions } from '../../src/internal';
import { AXESS_HEALTH_DOWN_MESSAGE, AxessHealthIndicator } from '../../src/terminus';
import { startValkeyServer, type ValkeyTestServer } from '../../src/testing';
import { send, type AdapterName } from '../harness/http-app';
import { randomKey, uniquePrefix } from '../harness/valkey';

/**
 * `AxessHealthIndicator` (the `/terminus` entry point) inside a real Terminus health check, on a
 * private valkey-server that the test stops, and on one it freezes (the timeout).
 */

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sessions: AxessHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sessions.isHealthy('sessions', { timeoutMs: 300 })]);
  }
}

async function startApp(adapter: AdapterName, url: string): Promise<{ app: INestApplication; url: string }> {
  const options: AxessSessionModuleOptions = {
    connection: { url },
    commandTimeoutMs: 500,
    prefix: uniquePrefix('terminus'),
    encryptionKey: randomKey(),
    signingKey: randomKey(),
  };

  @Module({
    imports: [AxessSessionModule.forRoot(options), TerminusModule.forRoot({ logger: false })],
    controllers: [HealthController],
    providers: [AxessHealthIndicator],
  })
  class HealthAppModule {}

  const ref = await Test.createTestingModule({ imports: [HealthAppModule] }).compile();
  return listenOnLoopback(ref, adapter);
}

describe.each<AdapterName>(['express', 'fastify'])('AxessHealthIndicator with Terminus on %s', (adapter) => {
  let server: ValkeyTestServer | undefined;
  let running: { app: INestApplication; url: string } | undefined;

  beforeAll(async () => {
    server = await startValkeyServer();
    running = await startApp(adapter, server.url);
  });

  afterAll(async () => {
    await running?.app.close();
    await server?.stop();
  });

  it('200 with status up while Valkey answers, then 503 with a fixed message once it is stopped', async () => {
    const up = await send(running!.url, 'GET', '/health');
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({
      status: 'ok',
      info: { sessions: { status: 'up', backend: 'valkey', latencyMs: expect.any(Number) } },
      error: {},
    });

    const port = new URL(server!.url).port;
    await server!.stop();
    server = undefined;

    for (let i = 0; i < 2; i++) {
      const down = await send(running!.url, 'GET', '/health');
      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        status: 'error',
        info: {},
        error: {
          sessions: {
            status: 'down',
            backend: 'valkey',
            reason: expect.stringMatching(/^(unavailable|timeout)$/),
            message: AXESS_HEALTH_DOWN_MESSAGE,
          },
        },
        details: {
          sessions: {
            status: 'down',
            backend: 'valkey',
            reason: expect.stringMatching(/^(unavailable|timeout)$/),
            message: AXESS_HEALTH_DOWN_MESSAGE,
          },
        },
      });
      const text = JSON.stringify(down.body);
      expect(text).not.toContain(port);
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toMatch(/ECONNREFUSED|retries|Connection/i);
    }
  });
});

describe('AxessHealthIndicator when Valkey hangs', () => {
  let server: ValkeyTestServer | undefined;
  let running: { app: INestApplication; url: string } | undefined;

  beforeAll(async () => {
    server = await startValkeyServer();
    running = await startApp('express', server.url);
  });

  afterAll(async () => {
    server?.resume();
    await running?.app.close();
    await server?.stop();
  });

  it('answers down with reason timeout when the PING gets no reply in time, and up again once it answers', async () => {
    const indicator = running!.app.get(AxessHealthIndicator);
    expect(await indicator.isHealthy('store', { timeoutMs: 2000 })).toMatchObject({ store: { status: 'up' } });
    // Frozen (SIGSTOP): connections stay open, nothing answers.
    server!.pause();
    try {
      expect(await indicator.isHealthy('store', { timeoutMs: 100 })).toEqual({
        store: { status: 'down', backend: 'valkey', reason: 'timeout', message: AXESS_HEALTH_DOWN_MESSAGE },
      });
      const down = await send(running!.url, 'GET', '/health');
      expect(down.status).toBe(503);
      expect(down.body.error).toEqual({
        sessions: { status: 'down', backend: 'valkey', reason: 'timeout', message: AXESS_HEALTH_DOWN_MESSAGE },
      });
    } finally {
      server!.resume();
    }
    expect(await indicator.isHealthy('store', { timeoutMs: 2000 })).toMatchObject({ store: { status: 'up' } });
  });
});
