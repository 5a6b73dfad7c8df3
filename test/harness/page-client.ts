/** One answer of the sample's pages, redirects not followed. */
export interface PageAnswer {
  status: number;
  location: string | null;
  headers: Headers;
  text: string;
}

/**
 * A cookie-keeping client for the sample's HTML pages, standing in for a browser that an
 * attacker can make send anything: raw form bodies, any Origin, any user agent.
 */
export class PageClient {
  /** The `__Host-axess.sid=...` pair the server last set, if any. */
  cookie: string | undefined;
  /** The sign-in form's CSRF cookie pair (`__Host-axess.signin=...`) the server last set, if any. */
  signInCookie: string | undefined;
  /** The whole `Set-Cookie` of the session cookie the server last sent (attributes included), if any. */
  sessionSetCookie: string | undefined;

  constructor(
    private readonly base: string,
    private readonly userAgent = 'page-client',
  ) {}

  /** GET `path`, keeping the session cookie. */
  get(path: string, headers: Record<string, string> = {}): Promise<PageAnswer> {
    return this.send('GET', path, undefined, headers);
  }

  /** POST an url-encoded form (a raw string is sent as is). */
  post(path: string, form: Record<string, string | string[]> | string, headers: Record<string, string> = {}): Promise<PageAnswer> {
    const body = typeof form === 'string' ? form : encodeForm(form);
    return this.send('POST', path, body, { 'content-type': 'application/x-www-form-urlencoded', ...headers });
  }

  /** The `Cookie` header a browser would send: the cookies it holds. */
  cookieHeader(): string | undefined {
    return [this.cookie, this.signInCookie].filter((c) => c !== undefined).join('; ') || undefined;
  }

  private async send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<PageAnswer> {
    const res = await fetch(this.base + path, {
      method,
      body,
      redirect: 'manual',
      headers: { 'user-agent': this.userAgent, ...(this.cookieHeader() ? { cookie: this.cookieHeader()! } : {}), ...headers },
    });
    for (const setCookie of res.headers.getSetCookie()) {
      const pair = setCookie.split(';')[0];
      // A cleared cookie (Max-Age=0) removes it, as a browser would.
      const value = /max-age=0/i.test(setCookie) ? undefined : pair;
      if (pair.startsWith('__Host-axess.sid=')) [this.cookie, this.sessionSetCookie] = [value, setCookie];
      if (pair.startsWith('__Host-axess.signin=')) this.signInCookie = value;
    }
    return { status: res.status, location: res.headers.get('location'), headers: res.headers, text: await res.text() };
  }
}

function encodeForm(form: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
  return params.toString();
}

/** The CSRF token of the first form on a page. */
export function csrfTokenIn(page: PageAnswer): string {
  const match = /name="_csrf" value="([^"]*)"/.exec(page.text);
  if (!match) throw new Error(`No CSRF field in the page (status ${page.status}).`);
  return match[1];
}
