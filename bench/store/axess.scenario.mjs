// Internal pieces (ids, the connection factory) come from the built sources, not the public entry point.
// This product's store and registry, from the built package, as an app gets them.
import { mintSessionId, ValkeySessionRegistry, ValkeySessionStore } from '../../dist/esm/internal.js';
import { sessionRecord, TTL_MS } from '../lib/session.fixture.mjs';

/** Sessions a benchmark user may hold: every login past the third evicts the oldest. */
const CAP = 3;

/**
 * Load with sliding refresh, save, and the login path (write the new record + admit under the cap,
 * which marks and deletes the evicted and retires the anonymous id), composed the way
 * `AxessSessionService.authenticate` composes them.
 */
export async function axessScenarios({ client, ids, keyBytes, logger }, { encrypted }) {
  const label = encrypted ? 'encrypted' : 'plaintext';
  const prefix = encrypted ? 'axess' : 'axessplain';
  const store = encrypted
    ? new ValkeySessionStore(client, keyBytes, { prefix, logger })
    : ValkeySessionStore.plaintext(client, { prefix, logger });
  const registry = new ValkeySessionRegistry(client, { store, prefix });
  const record = sessionRecord();
  await Promise.all(ids.map((id) => store.save(id, record, TTL_MS)));

  const login = async (_i, worker) => {
    const userId = `bench-${label}-user-${worker}`;
    const newId = mintSessionId();
    // As authenticate() composes a capped sign-in: the new record's SET NX, then the admission,
    // which marks and deletes the evicted session and retires the anonymous one being upgraded.
    const written = store.save(newId, { ...record, userId }, TTL_MS, { mode: 'create' });
    written.catch(() => undefined);
    const admitted = registry.admit(userId, newId, CAP, {
      recordWritten: written,
      evictionMarker: { reason: 'evicted', ttlMs: 60_000 },
      retiring: mintSessionId(),
    });
    const [write, admission] = await Promise.allSettled([written, admitted]);
    if (write.status === 'rejected') throw write.reason;
    if (admission.status === 'rejected') throw admission.reason;
  };

  const sampleKey = store.keys.session(ids[0]);
  const family = `axess-${label}`;
  return {
    load: [
      {
        name: `axess ${label} load (sliding)`,
        family,
        sampleKey,
        op: async (i) => {
          if ((await store.load(ids[i % ids.length], { refreshTtlMs: TTL_MS })) === null) throw new Error('session missing');
        },
      },
    ],
    save: [{ name: `axess ${label} save`, family, sampleKey, op: (i) => store.save(ids[i % ids.length], record, TTL_MS) }],
    login: [{ name: `axess ${label} login (write+admit+evict+retire, cap ${CAP})`, family, op: login }],
  };
}
