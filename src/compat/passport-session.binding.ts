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
 * passport's session mode over axess sessions: on `save`, a `req.session.passport.user` that
 * passport's `logIn` put there becomes a sign-in (fresh id, cap, device listed), and one its
 * `logOut` removed becomes a sign-out (record and registry entry deleted).
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
    // The same user without a regenerate is the app's own `save()`; after one it is passport's `logIn`
    // again, a re-sign-in that rotates once (the login clears the regenerate flag).
    if (state.record?.userId === userId && !state.regenerate) {
      state.dirty = true;
      return;
    }
    const kept = { ...state.record!.data };
    try {
      // "Remember me" as the module's `rememberMe.from` reads it from the sign-in's request.
      await this.sessions.authenticate(request, userId, { rememberMe: this.policy.rememberMeFrom(request, undefined) });
    } catch (error) {
      // Refused at the cap: a login left in the data would complete on a later save, with no password.
      if (error instanceof AxessSessionLimitException) session.delete(PASSPORT_KEY);
      throw error;
    }
    // A session of someone else carries no data into the new one: put back what passport just stored.
    if (!Object.hasOwn(state.record?.data ?? {}, PASSPORT_KEY)) for (const [key, value] of Object.entries(kept)) session.set(key, value);
  }
}
