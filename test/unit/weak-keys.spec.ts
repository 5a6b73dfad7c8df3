import { randomBytes } from 'node:crypto';
import { resolveAxessOptions, type AxessSessionModuleOptions } from '../../src/internal';

/** Keys that are plainly not random, or one key for two jobs, are refused at boot. */

const base = (): AxessSessionModuleOptions => ({ store: 'memory', encryptionKey: randomBytes(32), signingKey: randomBytes(32) });
const refusal = (options: AxessSessionModuleOptions) => {
  try {
    resolveAxessOptions(options);
    return undefined;
  } catch (error) {
    return error as { name: string; option: string; message: string };
  }
};

describe('weak keys are refused at boot', () => {
  it('the same key for encryption and signing', () => {
    const key = randomBytes(32);
    expect(refusal({ ...base(), encryptionKey: key, signingKey: key.toString('base64') })).toMatchObject({
      name: 'AxessOptionsError',
      option: 'signingKey',
    });
  });

  it('a signing key equal to a previous encryption key', () => {
    const old = randomBytes(32);
    expect(refusal({ ...base(), previousEncryptionKeys: [old], signingKey: old.toString('hex') })).toMatchObject({ option: 'signingKey' });
  });

  it.each([
    ['all zeros', Buffer.alloc(32)],
    ['one byte repeated', Buffer.alloc(32, 0xa5)],
    ['a short pattern repeated', Buffer.from('00010203'.repeat(8), 'hex')],
    ['a passphrase given as bytes', Buffer.from('correct horse battery staple 123')],
    ['a passphrase of 32 printable characters', Buffer.from('P@ssw0rd!P@ssw0rd!P@ssw0rd!12345'.slice(0, 32))],
  ])('%s, as the encryption key, a previous key or the signing key', (_label, weak) => {
    expect(weak).toHaveLength(32);
    expect(refusal({ ...base(), encryptionKey: weak })).toMatchObject({ name: 'AxessOptionsError', option: 'encryptionKey' });
    expect(refusal({ ...base(), previousEncryptionKeys: [weak] })).toMatchObject({ option: 'previousEncryptionKeys[0]' });
    expect(refusal({ ...base(), signingKey: weak })).toMatchObject({ option: 'signingKey' });
  });

  it('never quotes the key in the message', () => {
    const weak = Buffer.from('correct horse battery staple 123');
    expect(refusal({ ...base(), encryptionKey: weak })?.message).not.toContain('horse');
  });

  it('random keys, in every accepted form, pass', () => {
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(32);
      expect(
        refusal({ ...base(), encryptionKey: [key, key.toString('hex'), key.toString('base64'), key.toString('base64url')][i % 4] }),
      ).toBeUndefined();
    }
  });
});
