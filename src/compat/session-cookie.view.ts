import type { SessionState } from '../http/session-state.js';
import type { SessionViewServices } from './session-view.services.js';

/**
 * `req.session.cookie` as express-session has it. `maxAge` / `expires` are this session's own
 * stored choice: a lifetime (never past the absolute deadline), `null` for a browser-session
 * cookie, `undefined` for the default. The other attributes are the module's `cookie` options.
 */
export class SessionCookieView {
  constructor(
    private readonly state: SessionState,
    private readonly services: SessionViewServices,
  ) {}

  /** Milliseconds until the browser drops the cookie; `null` for a browser-session cookie. */
  get maxAge(): number | null {
    const expiry = this.expiry();
    return expiry === undefined ? null : Math.max(0, expiry - this.services.clock.nowMs());
  }
  set maxAge(value: number | null | undefined) {
    if (value !== null && value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new TypeError('req.session.cookie.maxAge must be a number of milliseconds ≥ 0, null or undefined.');
    }
    this.choose(value === null || value === undefined ? value : Math.floor(value));
  }

  /** When the browser drops the cookie; `null` for a browser-session cookie. */
  get expires(): Date | null {
    const expiry = this.expiry();
    return expiry === undefined ? null : new Date(expiry);
  }
  set expires(value: Date | null | false | undefined) {
    if (value instanceof Date) this.maxAge = Math.max(0, value.getTime() - this.services.clock.nowMs());
    else if (value === null || value === false) this.choose(null);
    else if (value === undefined) this.choose(undefined);
    else throw new TypeError('req.session.cookie.expires must be a Date, null or false.');
  }

  /** The lifetime this session chose, in ms (`null`: a browser-session cookie; `undefined`: the default). */
  get originalMaxAge(): number | null | undefined {
    return this.state.record?.cookieMaxAgeMs;
  }

  // The attributes the module's `cookie` options own: read here, an assignment is ignored with a warning.
  declare httpOnly: boolean;
  declare secure: boolean | 'auto';
  declare path: string;
  declare domain: string | undefined;
  declare sameSite: 'strict' | 'lax' | 'none';
  static {
    for (const name of ['httpOnly', 'secure', 'path', 'domain', 'sameSite'] as const) {
      Object.defineProperty(this.prototype, name, {
        configurable: true,
        get(this: SessionCookieView) {
          return this.services.cookie.settings[name];
        },
        set(this: SessionCookieView) {
          this.services.warnFixedCookieAttribute(name);
        },
      });
    }
  }

  toJSON(): Record<string, unknown> {
    const { httpOnly, secure, path, domain, sameSite } = this.services.cookie.settings;
    return { originalMaxAge: this.originalMaxAge ?? null, expires: this.expires, httpOnly, secure, path, domain, sameSite };
  }

  private expiry(): number | undefined {
    const { record } = this.state;
    const now = this.services.clock.nowMs();
    // No session yet: a session created now gets a browser-session cookie by default.
    return record ? this.services.lifetime.cookieExpiry(record, now) : undefined;
  }

  private choose(maxAgeMs: number | null | undefined): void {
    const record = this.state.record ?? (this.state.writableData(), this.state.record!);
    if (maxAgeMs === undefined) delete record.cookieMaxAgeMs;
    else record.cookieMaxAgeMs = maxAgeMs;
    this.state.reissueCookie();
  }
}
