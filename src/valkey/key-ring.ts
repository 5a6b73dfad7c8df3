import { AxessOptionsError } from '../errors/axess-options.error.js';
import type { KeyLayout } from './key-layout.js';
import { luaScript, runLuaScript } from './lua-script.js';
import type { ValkeyClient } from './valkey-client.js';

/** How long a key ring stays on record after the last boot that claimed it: 90 days. */
export const KEY_RING_TTL_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * Claims the prefix for a key ring, atomically: when the set of fingerprints under
 * `{prefix}:keyring` is empty or shares one with ARGV[2..], adds them all and refreshes the TTL
 * (1); otherwise changes nothing (0). One key, no key built inside (Cluster-safe).
 *
 * KEYS[1] = `{prefix}:keyring`; ARGV[1] = TTL ms; ARGV[2..] = this deployment's fingerprints.
 */
const CLAIM = luaScript(`
local key = KEYS[1]
local shared = redis.call('SCARD', key) == 0
if not shared then
  for i = 2, #ARGV do
    if redis.call('SISMEMBER', key, ARGV[i]) == 1 then
      shared = true
      break
    end
  end
end
if not shared then return 0 end
for i = 2, #ARGV do
  redis.call('SADD', key, ARGV[i])
end
redis.call('PEXPIRE', key, ARGV[1])
return 1
`);

/**
 * At boot: records this deployment's key-ring fingerprints under its prefix, and refuses to boot
 * (`AxessOptionsError` naming `prefix`) when the prefix is in use by a key ring that shares no key
 * with this one. Two deployments on one Valkey with the default prefix would otherwise evict and
 * revoke each other's sessions, and each would read the other's records as undecryptable.
 * A rotation (current K2, previous K1, while others still run K1) shares K1 and goes through.
 */
export async function claimKeyRing(client: ValkeyClient, keys: KeyLayout, fingerprints: readonly string[]): Promise<void> {
  if (fingerprints.length === 0) return;
  const claimed = await runLuaScript(client, CLAIM, keys.keyRing, [KEY_RING_TTL_MS, ...fingerprints], 'claimKeyRing');
  if (claimed !== 1) {
    throw new AxessOptionsError(
      'prefix',
      `"${keys.prefix}" is in use on this Valkey by a deployment whose encryption keys share none with this one's. ` +
        'Give each application its own prefix; to change keys, rotate: deploy the new key as encryptionKey with the old one in previousEncryptionKeys.',
    );
  }
}
