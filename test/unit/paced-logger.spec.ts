import { PacedLogger } from '../../src/errors/paced-logger';

class Lines {
  readonly written: string[] = [];
  warn(message: unknown): void {
    this.written.push(`warn ${String(message)}`);
  }
  error(message: unknown): void {
    this.written.push(`error ${String(message)}`);
  }
}

describe('PacedLogger', () => {
  afterEach(() => jest.useRealTimers());

  it('writes each kind at most once per interval, and again once it has passed', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const lines = new Lines();
    const log = new PacedLogger(lines, 5_000);
    log.warn('down', 'a');
    log.warn('down', 'b');
    log.error('other', 'c');
    jest.setSystemTime(1_004_999);
    log.warn('down', 'd');
    jest.setSystemTime(1_005_000);
    log.warn('down', 'e');
    expect(lines.written).toEqual(['warn a', 'error c', 'warn e']);
  });
});
