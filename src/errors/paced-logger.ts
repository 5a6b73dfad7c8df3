import { Logger } from '@nestjs/common';

/** At most one line of a kind in this many ms, unless told otherwise. */
export const LOG_PACE_MS = 5_000;

/** The part of Nest's `Logger` a paced logger writes to. */
export type LineWriter = Pick<Logger, 'warn' | 'error'>;

/**
 * The module's one way to log what can repeat on every request or reconnect: each kind of line at
 * most once per interval. Real time, not the injected Clock: it decides nothing about sessions.
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
