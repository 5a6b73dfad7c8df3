/** An HTTP answer: the status, the body (parsed when it is JSON, else the text), the headers (lower-case names) and the Set-Cookie headers. */
export interface HttpAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes, read by assertions (`expect(answer.body.id)`)
  body: any;
  headers: Record<string, string>;
  setCookies: string[];
}

/** What a test request carries: a raw `Cookie` header, a JSON body and any other headers. */
export interface HttpRequestOptions {
  cookie?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Sends one request to a test app; `signal` bounds it where the caller wants a hang to fail fast. */
export async function sendHttpRequest(
  url: string,
  method: string,
  path: string,
  options: HttpRequestOptions = {},
  signal?: AbortSignal,
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: Object.fromEntries(res.headers), setCookies: res.headers.getSetCookie() };
}
