import type { ExecutionContext } from '@nestjs/common';
import type { SessionLimitPolicy } from '../registry/session-limit.js';
import type { MaxSessionsSetting } from './login-policy.js';

/** One of a user's sessions, as `AxessSessionService.listSessions` describes it. */
export interface SessionInfo {
  /**
   * The session's public handle: names it in URLs and pages (`revokeByHandle`) without being its
   * id, which is the secret inside the cookie. Stable for the life of the session, new after the
   * id rotates (a sign-in, a step-up); derived from `signingKey`, so the same on every instance.
   */
  handle: string;
  /** True for the session of the request that asked. */
  current: boolean;
  /** When the session started (its absolute lifetime counts from here). */
  createdAt: Date;
  /** When the login that bound the user completed. */
  authenticatedAt?: Date;
  /** Last request seen, derived from the remaining idle time (no write per request); approximate. */
  lastSeenAt: Date;
  /** Client address at login, when client info capture is on. */
  ip?: string;
  /** Client user agent at login, when client info capture is on. */
  userAgent?: string;
}

/** Result of `AxessSessionService.authenticate`. */
export interface AuthenticateResult {
  /** The session's id after the login (always a new one, a re-sign-in of the same user included). */
  sessionId: string;
  /** Sessions of the same user evicted to respect the cap, oldest first (always empty with `'refuse'`). */
  evicted: string[];
}

/** Options of `AxessSessionService.authenticate`. */
export interface AuthenticateOptions {
  /** Cap for this login (a number or a function of the user); overrides the module's `maxSessionsPerUser`. */
  maxSessions?: MaxSessionsSetting;
  /**
   * What this login does when the cap is full; overrides the module's `onSessionLimit`. `'refuse'`
   * makes `authenticate` throw a 409 (`reason: 'session-limit'`) and change nothing.
   */
  onSessionLimit?: SessionLimitPolicy;
  /**
   * "Remember me": the session gets the module's `rememberMe` timeouts (default 7 d idle, 30 d
   * absolute) and a persistent cookie; `false`: the usual timeouts and a browser-session cookie.
   * Unset: a new sign-in is not remembered, a re-sign-in of the same user keeps the session's choice.
   */
  rememberMe?: boolean;
  /** The authenticated user handed to a cap function. @default req.user */
  user?: unknown;
  /** The execution context handed to a cap function (`MaxSessionsGuard` passes its own). */
  context?: ExecutionContext;
  /**
   * The framework response (Express `res` / Fastify `reply`): the new cookie is set on it at once
   * instead of at commit, so a guard running after the login cannot strand the new session.
   * `MaxSessionsGuard` passes it.
   */
  response?: unknown;
}
