/**
 * Holds a request inside its handler until the test releases it, so that something else (a
 * revocation from another device) can happen while the request is mid-flight.
 */
export class RequestGate {
  private arrivedResolve!: () => void;
  private releaseResolve!: () => void;
  /** Settles once the handler is waiting. */
  readonly arrived = new Promise<void>((r) => (this.arrivedResolve = r));
  private readonly released = new Promise<void>((r) => (this.releaseResolve = r));

  /** Called by the handler: signals arrival, then waits for `release()`. */
  async hold(): Promise<void> {
    this.arrivedResolve();
    await this.released;
  }

  /** Lets the held handler continue. */
  release(): void {
    this.releaseResolve();
  }
}

/** Gates by name, shared by the test and the app (one process). */
export const requestGates = new Map<string, RequestGate>();
