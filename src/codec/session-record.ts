/**
 * The shape of your app's session data, declared once by augmentation; empty until you do.
 * Declared keys are typed on `AxessSession.get` / `set`; other keys stay usable as `unknown`.
 *
 * @example
 * declare module '@axess/nestjs-session' {
 *   interface AxessSessionData {
 *     cart: { items: string[] };
 *   }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the app's augmentation
export interface AxessSessionData {}

/** Application data kept in a session, as stored: any MessagePack-encodable values. */
export type SessionData = Record<string, unknown>;

/**
 * What the store keeps for one session. Times are epoch milliseconds from the injected `Clock`.
 */
export interface SessionRecord {
  /** The application's own data. */
  data: SessionData;
  /** When this session id was minted (the absolute timeout counts from here). */
  createdAt: number;
  /** The user the session is bound to, once authentication completed. */
  userId?: string;
  /** When authentication completed for this session. */
  authenticatedAt?: number;
  /** Client address seen at creation, when metadata capture is on. */
  ip?: string;
  /** Client user agent seen at creation, when metadata capture is on. */
  userAgent?: string;
  /**
   * How long the browser keeps the cookie, when the session chose (`req.session.cookie.maxAge`):
   * `null` for a browser-session cookie (no `Max-Age`), a number of ms for a persistent one (never
   * past the absolute deadline); absent: the default (a browser-session cookie, or until the
   * absolute deadline for a remembered session).
   */
  cookieMaxAgeMs?: number | null;
  /**
   * Signed in with "remember me": the session has the module's `rememberMe` idle and absolute
   * timeouts, and its cookie persists until the absolute deadline (unless `cookieMaxAgeMs` says otherwise).
   */
  remembered?: boolean;
  /**
   * Set when a `failOpen` login went through while the registry could not admit it: the session
   * still has to be registered, under this cap (`0`: no cap). Its first request once the
   * registry answers again admits it and clears the flag.
   */
  pendingAdmission?: number;
}
