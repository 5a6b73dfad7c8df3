import { Reflector } from '@nestjs/core';
import { AXESS_MAX_SESSIONS, AxessOptionsError, MaxSessions } from '../../src/internal';

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
});
