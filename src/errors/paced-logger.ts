import { Logger } from '@nestjs/common';

/** At most one line of a kind in this many ms, unless told otherwise. */
export const LOG_PACE_MS = 5_000;

/** The part of Nest's `Logger` a paced logger writes to. */
export type LineWriter = Pick<Logger, 'warn' | 'error'>;

/**
 * The module's one way to log something that can repeat on every request or reconnect (a Valkey
 * that is down, a flapping subscription, bad legacy records): each kind of line at most once per
 * interval, so that it is seen without flooding the log. Paced in real time, not by the injected
 * Clock: it paces logs and decides nothing about sessions.
 */
export class PacedLogger {
  private readonly lastWritten = new Map<string, number>();

  constructor(
    private readonly writer: LineWriter = new Logger('AxessSession'),
    private readonly intervalMs = LOG_PACE_MS,
  ) {}

  /** A warning of `kind`, unless one was written less than the interval ago. */
  warn(kind: string, message: string): void {
    if (this.due(kind)) this.writer.warn(message);
  }

  /** An error line of `kind`, unless one was written less than the interval ago. */
  error(kind: string, message: string): void {
    if (this.due(kind)) this.writer.error(message);
  }

  private due(kind: string): boolean {
    const now = Date.now();
    const last = this.lastWritten.get(kind);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.lastWritten.set(kind, now);
    return true;
  }
}
