import { Reflector } from '@nestjs/core';
import {
  AXESS_MAX_SESSIONS,
  AXESS_ON_SESSION_LIMIT,
  AxessOptionsError,
  AxessSessionLimitException,
  MaxSessions,
  resolveAxessOptions,
  type SessionLimitPolicy,
} from '../../src/internal';
import { randomKey } from '../harness/valkey';

describe('@MaxSessions', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %p when the class is defined', (bad) => {
    expect(() => MaxSessions(bad)).toThrow(AxessOptionsError);
  });

  it('a route value overrides the controller value', () => {
    @MaxSessions(5)
    class Controller {
      @MaxSessions(1)
      strict(this: void): void {}
      loose(this: void): void {}
    }
    const reflector = new Reflector();
    const read = (handler: () => void) => reflector.getAllAndOverride<number>(AXESS_MAX_SESSIONS, [handler, Controller]);
    expect(read(Controller.prototype.strict)).toBe(1);
    expect(read(Controller.prototype.loose)).toBe(5);
  });

  it('onSessionLimit is read per route, then per controller, and is absent where nobody set it', () => {
    @MaxSessions(5, { onSessionLimit: 'refuse' })
    class Refusing {
      @MaxSessions(1, { onSessionLimit: 'evict-oldest' })
      evicting(this: void): void {}
      @MaxSessions(2)
      capOnly(this: void): void {}
    }
    class Plain {
      @MaxSessions(3)
      capOnly(this: void): void {}
    }
    const reflector = new Reflector();
    const read = (handler: () => void, cls: new () => object) =>
      reflector.getAllAndOverride<SessionLimitPolicy>(AXESS_ON_SESSION_LIMIT, [handler, cls]);
    expect(read(Refusing.prototype.evicting, Refusing)).toBe('evict-oldest');
    // The cap and the policy are overridden separately: a route's cap alone keeps the controller's policy.
    expect(read(Refusing.prototype.capOnly, Refusing)).toBe('refuse');
    expect(read(Plain.prototype.capOnly, Plain)).toBeUndefined();
    expect(reflector.getAllAndOverride<number>(AXESS_MAX_SESSIONS, [Refusing.prototype.capOnly, Refusing])).toBe(2);
  });

  it('refuses an unknown onSessionLimit when the class is defined, and at boot as a module option', () => {
    expect(() => MaxSessions(3, { onSessionLimit: 'drop' as SessionLimitPolicy })).toThrow(AxessOptionsError);
    const keys = { encryptionKey: randomKey(), signingKey: randomKey(), store: 'memory' as const };
    expect(() => resolveAxessOptions({ ...keys, onSessionLimit: 'newest' as SessionLimitPolicy })).toThrow(
      expect.objectContaining({ name: 'AxessOptionsError', option: 'onSessionLimit' }),
    );
    expect(resolveAxessOptions(keys).onSessionLimit).toBe('evict-oldest');
    expect(resolveAxessOptions({ ...keys, onSessionLimit: 'refuse' }).onSessionLimit).toBe('refuse');
  });

  it("the refusal is a 409 with reason 'session-limit', and a GraphQL error with code CONFLICT", () => {
    const refusal = new AxessSessionLimitException();
    expect(refusal.getStatus()).toBe(409);
    expect(refusal.getResponse()).toEqual({ statusCode: 409, message: 'Conflict', reason: 'session-limit' });
    expect(refusal.extensions).toEqual({ code: 'CONFLICT', reason: 'session-limit' });
  });
});
