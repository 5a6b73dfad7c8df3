import { randomFillSync } from 'node:crypto';

/**
 * Random nonces drawn from the CSPRNG in batches (a `randomBytes` per seal cost about as much as
 * the AES-GCM work); each is handed out once, and a batch is never refilled in place.
 */
export class NoncePool {
  private block: Buffer = Buffer.alloc(0);
  private offset = 0;

  /**
   * @param size bytes per nonce.
   * @param batch nonces drawn from the CSPRNG at a time.
   */
  constructor(
    private readonly size: number,
    private readonly batch = 256,
  ) {}

  /** The next fresh nonce of `size` random bytes (a view into the current batch). */
  next(): Buffer {
    if (this.offset + this.size > this.block.length) {
      this.block = randomFillSync(Buffer.allocUnsafeSlow(this.size * this.batch));
      this.offset = 0;
    }
    const nonce = this.block.subarray(this.offset, this.offset + this.size);
    this.offset += this.size;
    return nonce;
  }
}
