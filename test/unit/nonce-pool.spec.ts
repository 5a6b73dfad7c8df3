import { NoncePool } from '../../src/crypto/nonce-pool';

describe('NoncePool', () => {
  it('hands out nonces of the requested size', () => {
    const pool = new NoncePool(12, 4);
    for (let i = 0; i < 10; i++) expect(pool.next().length).toBe(12);
  });

  it('never hands out the same nonce twice, across many batch refills', () => {
    const pool = new NoncePool(12, 8);
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) seen.add(pool.next().toString('hex'));
    expect(seen.size).toBe(5_000);
  });

  it('keeps a nonce handed out earlier unchanged after its batch is used up and replaced', () => {
    const pool = new NoncePool(12, 2);
    const first = pool.next();
    const copy = Buffer.from(first);
    for (let i = 0; i < 10; i++) pool.next();
    expect(first.equals(copy)).toBe(true);
  });

  it('fills nonces from the CSPRNG, not with zeros (all-zero 12-byte nonces would be a 2^-96 event)', () => {
    const pool = new NoncePool(12, 16);
    for (let i = 0; i < 100; i++) expect(pool.next().equals(Buffer.alloc(12))).toBe(false);
  });
});
