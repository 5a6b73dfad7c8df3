import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { SessionCookie } from '../http/session-cookie.js';
import type { SessionState } from '../http/session-state.js';
import { asServiceUnavailable } from '../http/store-unavailable.js';
import { StoreFailureLog } from '../errors/store-failure.log.js';
import { SessionLifetime } from '../store/session-lifetime.js';
import { SessionStore } from '../store/session-store.js';
import { PassportSessionBinding } from './passport-session.binding.js';

/** What the express-session compatible views need, built once per module (not per request). */
@Injectable()
export class SessionViewServices {
  private readonly logger = new Logger('AxessSession');

  constructor(
    /** Turns passport's `req.session.passport.user` into sign-ins and sign-outs. */
    readonly passport: PassportSessionBinding,
    readonly cookie: SessionCookie,
    readonly lifetime: SessionLifetime,
    readonly clock: Clock,
    private readonly store: SessionStore,
    private readonly failures: StoreFailureLog,
  ) {}

  /** `req.session.reload()`: the stored record again, or an error when the session is gone. */
  async reload(state: SessionState): Promise<void> {
    const id = state.storedId;
    if (id === undefined) throw new Error('failed to load session: it is not stored yet');
    let record;
    try {
      record = await this.store.load(id);
    } catch (error) {
      throw asServiceUnavailable(error, this.failures, 'a session reload');
    }
    if (!record || this.lifetime.isOver(record, this.clock.nowMs())) throw new Error('failed to load session: it has ended');
    state.reloaded(record);
  }

  /** An error from a `req.session` method called without a callback: nobody else will hear of it. */
  logUncaught(error: unknown): void {
    this.logger.error(
      `A req.session call without a callback failed: ${error instanceof Error ? error.message : String(error)}`,
      error instanceof Error ? error.stack : undefined,
    );
  }

  /** One warning per setting, for code that sets a cookie attribute the module's options own. */
  warnFixedCookieAttribute(name: string): void {
    if (this.warnedAttributes.has(name)) return;
    this.warnedAttributes.add(name);
    this.logger.warn(`req.session.cookie.${name} is set by the module's cookie options (cookie.${name}); the assignment was ignored.`);
  }

  private readonly warnedAttributes = new Set<string>();
}
