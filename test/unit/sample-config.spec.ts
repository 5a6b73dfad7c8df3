import { randomBytes } from 'node:crypto';
import { sampleConfigFromEnv } from '../../sample/sample.config';

describe("the sample's AXESS_LOCAL_CACHE", () => {
  const keys = { AXESS_ENCRYPTION_KEY: randomBytes(32).toString('base64'), AXESS_SIGNING_KEY: randomBytes(32).toString('base64') };

  it('turns the local session cache on with 1 or true, and leaves it off otherwise', () => {
    expect(sampleConfigFromEnv({ ...keys, AXESS_LOCAL_CACHE: '1' }).localCache).toBe(true);
    expect(sampleConfigFromEnv({ ...keys, AXESS_LOCAL_CACHE: 'true' }).localCache).toBe(true);
    for (const off of [undefined, '', '0', 'no']) expect(sampleConfigFromEnv({ ...keys, AXESS_LOCAL_CACHE: off }).localCache).toBe(false);
  });
});

describe("the sample's NODE_ENV", () => {
  const keys = { AXESS_ENCRYPTION_KEY: randomBytes(32).toString('base64'), AXESS_SIGNING_KEY: randomBytes(32).toString('base64') };

  it('development turns GraphQL introspection and suggestions on; anything else leaves them off', () => {
    expect(sampleConfigFromEnv({ ...keys, NODE_ENV: 'development' }).development).toBe(true);
    for (const other of [undefined, '', 'production', 'test', 'Development']) {
      expect(sampleConfigFromEnv({ ...keys, NODE_ENV: other }).development).toBe(false);
    }
  });
});

describe("the sample's ADMIN_USERS", () => {
  const keys = { AXESS_ENCRYPTION_KEY: randomBytes(32).toString('base64'), AXESS_SIGNING_KEY: randomBytes(32).toString('base64') };

  it('is a comma-separated list of usernames, trimmed; unset or empty names nobody', () => {
    expect(sampleConfigFromEnv({ ...keys, ADMIN_USERS: ' alice, carol ,' }).adminUsers).toEqual(['alice', 'carol']);
    for (const none of [undefined, '', ' , ']) expect(sampleConfigFromEnv({ ...keys, ADMIN_USERS: none }).adminUsers).toEqual([]);
  });
});
