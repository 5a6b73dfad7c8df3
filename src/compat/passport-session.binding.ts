import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import type { AxessSession } from '../http/axess-session.js';
import { sessionStateOf } from '../http/session-state.js';
import { NO_USER_ID } from '../guards/max-sessions.guard.js';
import { AxessSessionService } from '../session/axess-session.service.js';
import { LoginPolicy } from '../session/login-policy.js';
import { AxessSessionLimitException } from '../session/session-limit.exception.js';

/** Where passport 0.7 keeps its login in the session (`SessionStrategy`'s default key). */
const PASSPORT_KEY = 'passport';

/**
 * passport's session mode over axess sessions. passport's `logIn` regenerates the session, puts
 * what `serializeUser` returned under `req.session.passport.user` and calls `save`; its `logOut`
 * deletes that and calls `save`, then regenerates. `save` is where this binding turns the first
 * into a sign-in (a fresh id, the user bound, admission under the cap, the device listed) and the
 * second into a sign-out (record and registry entry deleted), before the response goes out. A
 * `logIn` of the user the session is already bound to rotates the id as any sign-in does.
 */
@Injectable()
export class PassportSessionBinding {
  private readonly logger = new Logger('AxessSession');
  private readonly userIdOf: (serialized: unknown) => string | undefined;

  constructor(
    private readonly sessions: AxessSessionService,
    private readonly policy: LoginPolicy,
  ) {
    this.userIdOf = policy.passportUserId;
  }

  /** Brings the session's binding in line with passport's login in its data. */
  async reconcile(session: AxessSession, request: unknown): Promise<void> {
    const state = sessionStateOf(session);
    const slot = state.record?.data[PASSPORT_KEY];
    const login = typeof slot === 'object' && slot !== null ? (slot as { user?: unknown }) : undefined;
    const serialized = login?.user;
    if (serialized !== undefined && serialized !== null) return this.signIn(session, request, serialized);
    if (login !== undefined && state.record?.userId !== undefined) {
      // passport's logOut: the login is gone from the data, so the session ends here, registry included.
      return this.sessions.logout(request);
    }
    if (state.record) state.dirty = true;
  }

  private async signIn(session: AxessSession, request: unknown, serialized: unknown): Promise<void> {
    const state = sessionStateOf(session);
    const userId = this.userIdOf(serialized);
    if (userId === undefined) {
      this.logger.warn(
        "passport's serializeUser stored a value without a usable user id: login refused. " +
          'Set the module option `passportUserId` to read it (e.g. (user) => user.id).',
      );
      throw new UnauthorizedException({ statusCode: 401, message: 'Unauthorized', reason: NO_USER_ID });
    }
    // The same user with no regenerate before is the app's own `save()` of a signed-in session.
    // After one it is passport's `logIn` again: a re-sign-in, which rotates (the regenerate only
    // flagged a rotation for the commit; the login clears the flag, so there is one rotation).
    if (state.record?.userId === userId && !state.regenerate) {
      state.dirty = true;
      return;
    }
    const kept = { ...state.record!.data };
    try {
      // "Remember me" as the module's `rememberMe.from` reads it from the sign-in's request.
      await this.sessions.authenticate(request, userId, { rememberMe: this.policy.rememberMeFrom(request, undefined) });
    } catch (error) {
      // Refused at the cap (onSessionLimit 'refuse'): passport's login must not stay in the
      // session's data, or a later save would complete it, once a place is free, with no password.
      if (error instanceof AxessSessionLimitException) session.delete(PASSPORT_KEY);
      throw error;
    }
    // A session signed in as someone else carries no data into the new one: what passport just
    // stored (this request's own, after its regenerate) is put back.
    if (!Object.hasOwn(state.record?.data ?? {}, PASSPORT_KEY)) for (const [key, value] of Object.entries(kept)) session.set(key, value);
  }
}
