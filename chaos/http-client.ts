import { request } from 'node:http';
import { WebSocket } from 'ws';

/** An HTTP answer, body parsed as JSON when it is JSON. */
export interface Answer {
  status: number;
  body: unknown;
  setCookies: string[];
}

/** A request that got no HTTP answer: a network error code, or `timeout`. */
export class NoAnswer extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

export interface SendOptions {
  cookie?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** One request on a fresh connection (no keep-alive: an instance restart must not leave stale sockets behind). */
export function send(baseUrl: string, method: string, path: string, options: SendOptions): Promise<Answer> {
  const url = new URL(path, baseUrl);
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const headers: Record<string, string> = {
    origin: baseUrl,
    ...(payload || method !== 'GET' ? { 'content-type': 'application/json' } : {}),
    ...(payload ? { 'content-length': String(payload.length) } : {}),
    ...(options.cookie ? { cookie: options.cookie } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error: NodeJS.ErrnoException) => reject(new NoAnswer(error.code ?? error.message)));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString();
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON
        }
        const cookies = res.headers['set-cookie'] ?? [];
        resolve({ status: res.statusCode ?? 0, body, setCookies: cookies });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new NoAnswer('timeout'));
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new NoAnswer(error.code ?? error.message));
    });
    req.end(payload);
  });
}

/**
 * The session cookie an answer sets, as `name=value` for a Cookie header: whatever the cookie is
 * named (the name depends on the module's options), the first one set to a non-empty value.
 */
export function sessionCookieOf(answer: Answer): string | undefined {
  for (const header of answer.setCookies) {
    const pair = header.split(';')[0];
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(at + 1) !== '' && !/max-age=0(;|$)/i.test(header)) return pair;
  }
  return undefined;
}

/** What a WebSocket upgrade came to: the first message, or the refusal. */
export type SocketAnswer =
  { opened: true; first: Record<string, unknown> | undefined } | { opened: false; status: number; closeCode?: number };

/** Opens `/ws` with a cookie and this origin, waits for the server's first message (or a close), then closes. */
export function openSocket(baseUrl: string, cookie: string, timeoutMs: number): Promise<SocketAnswer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, { headers: { cookie }, origin: baseUrl });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new NoAnswer('timeout'));
    }, timeoutMs);
    const done = (result: SocketAnswer) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(result);
    };
    ws.once('message', (data: Buffer) => {
      let first: Record<string, unknown> | undefined;
      try {
        first = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        first = undefined;
      }
      done({ opened: true, first });
    });
    ws.once('close', (code: number) => done({ opened: false, status: 101, closeCode: code }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      done({ opened: false, status: res.statusCode ?? 0 });
    });
    ws.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      reject(new NoAnswer(error.code ?? error.message));
    });
  });
}
