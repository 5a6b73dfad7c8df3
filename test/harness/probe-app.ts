import { Module, type INestApplication, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AxessSessionModule, type AxessSessionModuleOptions } from '../../src/internal';
import { sendHttpRequest, type HttpAnswer, type HttpRequestOptions } from './http-request';
import { HeaderAuthGuard, SessionTestController } from './session-test.app';

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

/**
 * Boots the session test app (`SessionTestController`, the same routes the HTTP suites use) on
 * Express with `options` and a logger that keeps every line, listening on a free loopback port.
 * Used by the property, fault and security tests, which read what the app logged.
 */
export async function startProbeApp(options: AxessSessionModuleOptions): Promise<ProbeApp> {
  @Module({ imports: [AxessSessionModule.forRoot(options)], controllers: [SessionTestController], providers: [HeaderAuthGuard] })
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

/** The `name=value` pair of the session cookie in an answer (default: under any of its default names), ready to send back. */
export function sessionCookie(answer: ProbeAnswer, name?: string): string | undefined {
  const named = (c: string) => (name === undefined ? /^(__Host-|__Secure-)?axess\.sid=/.test(c) : c.startsWith(`${name}=`));
  return answer.setCookies.find(named)?.split(';')[0];
}

/** The session id inside a `name=id.mac` pair. */
export function idOfCookie(pair: string | undefined): string | undefined {
  return pair?.slice(pair.indexOf('=') + 1).split('.')[0];
}
