import type { Redis } from 'iovalkey';

type Sent = { name: string; args: unknown[]; promise: Promise<unknown> };

/**
 * Records the commands a real client sends, and counts round trips: a command sent after a
 * reply has arrived starts a new one; commands sent together (before any reply) share one.
 */
export class CommandLog {
  commands: string[] = [];
  roundTrips = 0;
  private replied = true;
  private readonly original: Redis['sendCommand'];

  constructor(private readonly client: Redis) {
    this.original = client.sendCommand;
    const log = this;
    client.sendCommand = function (this: Redis, command: Sent, stream?: unknown) {
      if (log.replied) {
        log.roundTrips++;
        log.replied = false;
      }
      log.commands.push(command.name.toLowerCase());
      const settled = () => {
        log.replied = true;
      };
      // Registered before the caller's own continuation, so its next command counts as a new trip.
      command.promise.then(settled, settled);
      return log.original.call(this, command as never, stream as never);
    } as Redis['sendCommand'];
  }

  /** Starts counting afresh. */
  reset(): void {
    this.commands = [];
    this.roundTrips = 0;
    this.replied = true;
  }

  /** Puts the client's own method back. */
  restore(): void {
    this.client.sendCommand = this.original;
  }
}
