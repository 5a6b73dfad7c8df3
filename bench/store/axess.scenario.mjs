// Internal pieces (ids, the connection factory) come from the built sources, not the public entry point.
// This product's store and registry, from the built package, as an app gets them.
import { mintSessionId, ValkeySessionRegistry, ValkeySessionStore } from '../../dist/esm/internal.js';
import { sessionRecord, TTL_MS } from '../lib/session.fixture.mjs';

/** Sessions a benchmark user may hold: every login past the third evicts the oldest. */
const CAP = 3;

/**
 * Load with sliding refresh, save, and the login path (cycle the anonymous id + admit under the
 * cap + delete the evicted), composed the way `AxessSessionService.authenticate` composes them.
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
    // The anonymous session being upgraded: its DEL travels with the new record's SET NX.
    const written = store.cycle(mintSessionId(), newId, { ...record, userId }, TTL_MS);
    written.catch(() => undefined);
    const [write, admission] = await Promise.allSettled([written, registry.admit(userId, newId, CAP, { recordWritten: written })]);
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
    login: [{ name: `axess ${label} login (cycle+admit+evict, cap ${CAP})`, family, op: login }],
  };
}
