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

  constructor(
    private readonly client: Redis,
    /** Commands not counted (e.g. `client`: the local cache's heartbeat on the tracked connection, which is not the request's). */
    ignore: readonly string[] = [],
  ) {
    // Kept as it is (not bound) so that restore() puts the very same method back; it is always called on the client.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    this.original = client.sendCommand;
    client.sendCommand = (command: Sent, stream?: unknown) => {
      if (ignore.includes(command.name.toLowerCase())) return this.original.call(client, command as never, stream as never);
      if (this.replied) {
        this.roundTrips++;
        this.replied = false;
      }
      this.commands.push(command.name.toLowerCase());
      const settled = () => {
        this.replied = true;
      };
      // Registered before the caller's own continuation, so its next command counts as a new trip.
      command.promise.then(settled, settled);
      return this.original.call(client, command as never, stream as never);
    };
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
