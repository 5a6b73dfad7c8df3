import { Body, Controller, Get, HttpCode, Module, Post, Req, UseGuards, type INestApplication, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AxessAuthenticatedGuard,
  AxessSession,
  AxessSessionModule,
  AxessSessionService,
  CurrentSession,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { sendHttpRequest, type HttpAnswer, type HttpRequestOptions } from './http-request';

/**
 * The smallest app that exercises the whole session layer: read, write, login (the user comes
 * from an `x-user` header, standing in for the app's own authentication), an authenticated
 * route, logout. Used by the property, fault and security tests.
 */
@Controller()
export class ProbeController {
  constructor(private readonly sessions: AxessSessionService) {}

  @Get('visit')
  visit(@CurrentSession() session: AxessSession) {
    return { id: session.id ?? null, userId: session.userId ?? null, data: session.data };
  }

  @Post('data')
  @HttpCode(200)
  setData(@CurrentSession() session: AxessSession, @Body() body: Record<string, unknown>) {
    for (const [key, value] of Object.entries(body ?? {})) session.set(key, value);
    return { id: session.id ?? null };
  }

  @Post('login')
  @HttpCode(200)
  async login(@Req() req: { headers: Record<string, string | undefined> }) {
    return this.sessions.authenticate(req, req.headers['x-user'] ?? '');
  }

  @Get('me')
  @UseGuards(AxessAuthenticatedGuard)
  me(@CurrentSession() session: AxessSession) {
    return { userId: session.userId, id: session.id, data: session.data };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Req() req: unknown) {
    await this.sessions.logout(req);
    return {};
  }
}

/** Every line the app logged, by level. */
export interface CapturedLog {
  lines: Array<{ level: string; text: string }>;
  /** Everything logged, as one string (messages, contexts and stacks). */
  text(): string;
}

/** A Nest logger that keeps every line (and prints nothing). */
export function capturingLogger(): { logger: LoggerService; log: CapturedLog } {
  const lines: CapturedLog['lines'] = [];
  const keep =
    (level: string) =>
    (...parts: unknown[]) =>
      void lines.push({ level, text: parts.map((p) => (p instanceof Error ? `${p.message}\n${p.stack}` : String(p))).join(' ') });
  return {
    logger: {
      log: keep('log'),
      error: keep('error'),
      warn: keep('warn'),
      debug: keep('debug'),
      verbose: keep('verbose'),
      fatal: keep('fatal'),
    },
    log: { lines, text: () => lines.map((l) => `${l.level}: ${l.text}`).join('\n') },
  };
}

/** A running probe app. */
export interface ProbeApp {
  app: INestApplication;
  url: string;
  log: CapturedLog;
  close(): Promise<void>;
}

/** Boots the probe app on Express with `options`, listening on a free loopback port. */
export async function startProbeApp(options: AxessSessionModuleOptions): Promise<ProbeApp> {
  @Module({ imports: [AxessSessionModule.forRoot(options)], controllers: [ProbeController] })
  class ProbeModule {}

  const { logger, log } = capturingLogger();
  const ref = await Test.createTestingModule({ imports: [ProbeModule] })
    .setLogger(logger)
    .compile();
  const app = ref.createNestApplication({ logger });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, log, close: () => app.close() };
}

/** An HTTP answer. */
export type ProbeAnswer = HttpAnswer;

/**
 * Sends one request. A server that does not answer within `timeoutMs` fails the call: a hang
 * becomes a test failure instead of a stuck run.
 */
export async function probe(
  url: string,
  method: string,
  path: string,
  options: HttpRequestOptions & { timeoutMs?: number } = {},
): Promise<ProbeAnswer> {
  return sendHttpRequest(url, method, path, options, AbortSignal.timeout(options.timeoutMs ?? 10_000));
}

/** The `name=value` pair of the session cookie in an answer, ready to send back. */
export function sessionCookie(answer: ProbeAnswer, name = 'axess.sid'): string | undefined {
  return answer.setCookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0];
}

/** The session id inside a `name=id.mac` pair. */
export function idOfCookie(pair: string | undefined): string | undefined {
  return pair?.slice(pair.indexOf('=') + 1).split('.')[0];
}
