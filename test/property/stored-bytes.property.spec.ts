import fc from 'fast-check';
import { createHash } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import {
  AesGcmSessionCipher,
  InMemorySessionStore,
  SessionCipher,
  ValkeySessionStore,
  SessionStoreError,
  type SessionRecord,
  type SessionStore,
  type UnreadableRecordHook,
} from '../../src/internal';
import { uniquePrefix } from '../harness/valkey';
import { withTestClient } from '../harness/valkey-hooks';
import { PROPERTY_SEED } from '../harness/property-seed';
import { sessionIdArb, storedBytesAttack, validRecord, type StoredBytesAttack } from '../harness/stored-bytes.arbitrary';

/**
 * Invariant I8 for stored bytes: whatever sits under a session key, `load` answers "no session"
 * (null), tells the `onUnreadable` hook why with a typed error of the expected kind, logs a line
 * without the id, and touches no other session. Nothing throws, on either backend.
 */

const MAX_PAYLOAD = 1024;
const TTL = 60_000;
// Derived from the seed, so a reported counterexample replays with the same key.
const KEY = createHash('sha256').update(`stored-bytes:${PROPERTY_SEED}`).digest();

interface Observed {
  reports: Array<{ id: string; error: SessionStoreError }>;
  warnings: string[];
}

function observer(): { observed: Observed; hook: UnreadableRecordHook; logger: Logger } {
  const observed: Observed = { reports: [], warnings: [] };
  const logger = {
    warn: (message: unknown) => void observed.warnings.push(String(message)),
    error: (message: unknown) => void observed.warnings.push(String(message)),
    log: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
  } as unknown as Logger;
  return { observed, hook: (id, error) => void observed.reports.push({ id, error }), logger };
}

/**
 * The memory store is only written through `save`, so the attack bytes go in as what the cipher
 * returns for that one save; reads go through the real AES-GCM cipher.
 */
class InjectingCipher extends SessionCipher {
  readonly encrypts = true;
  next: Buffer | undefined;
  constructor(private readonly real: SessionCipher) {
    super();
  }
  seal(sessionId: string, plaintext: Buffer): Buffer {
    const injected = this.next;
    this.next = undefined;
    return injected ?? this.real.seal(sessionId, plaintext);
  }
  open(sessionId: string, sealed: Buffer): Buffer {
    return this.real.open(sessionId, sealed);
  }
}

interface Backend {
  store: SessionStore;
  observed: Observed;
  /** Puts `bytes` under `id` as they are, bypassing the codec and the cipher. */
  plant(id: string, bytes: Buffer): Promise<void>;
}

/** The property, on one backend. */
async function checkAttack(
  backend: Backend,
  canary: { id: string; record: SessionRecord },
  id: string,
  attack: StoredBytesAttack,
  slide: boolean,
): Promise<void> {
  const { store, observed } = backend;
  observed.reports.length = 0;
  observed.warnings.length = 0;
  if (attack.source) await store.save(attack.source.id, attack.source.record, TTL);
  await backend.plant(id, attack.bytes);

  // Resolves (never throws) with "no session".
  const loaded = await store.load(id, slide ? { refreshTtlMs: TTL } : {});
  expect({ attack: attack.label, loaded }).toEqual({ attack: attack.label, loaded: null });

  // The hook heard why, typed, once.
  expect(observed.reports).toHaveLength(1);
  expect(observed.reports[0].id).toBe(id);
  expect(observed.reports[0].error).toBeInstanceOf(SessionStoreError);
  expect({ attack: attack.label, kindExpected: attack.kinds.includes(observed.reports[0].error.kind) }).toEqual({
    attack: attack.label,
    kindExpected: true,
  });
  // One log line, naming the kind but not the session.
  expect(observed.warnings).toEqual([`Ignoring an unreadable session record (${observed.reports[0].error.kind}).`]);

  // Nobody else is affected.
  expect(await store.load(canary.id)).toEqual(canary.record);
  if (attack.source) {
    expect(await store.load(attack.source.id)).toEqual(attack.source.record);
    await store.delete(attack.source.id);
  }
}

const attackCase = (oversized: boolean) =>
  sessionIdArb.chain((id) =>
    storedBytesAttack({ id, key: KEY, maxPayloadBytes: MAX_PAYLOAD }, { oversized }).map((attack) => ({ id, attack })),
  );

describe('stored bytes: any garbage under a session key is "no session", reported, and harms no one (property)', () => {
  describe('ValkeySessionStore on the real valkey-server', () => {
    const valkey = withTestClient();

    it('random, truncated, bit-flipped, extended, wrong-shape, foreign and oversized bytes', async () => {
      const prefix = uniquePrefix('prop-bytes');
      const { observed, hook, logger } = observer();
      const store = new ValkeySessionStore(valkey.client, new AesGcmSessionCipher(KEY), {
        prefix,
        maxPayloadBytes: MAX_PAYLOAD,
        onUnreadable: hook,
        logger,
      });
      const backend: Backend = {
        store,
        observed,
        plant: async (id, bytes) => void (await valkey.client.set(`${prefix}:sess:${id}`, bytes, 'PX', TTL)),
      };
      const canary = { id: 'canary-canary-canary-canary-0001', record: validRecord() };
      await store.save(canary.id, canary.record, TTL);

      await fc.assert(
        fc.asyncProperty(attackCase(true), fc.boolean(), ({ id, attack }, slide) => checkAttack(backend, canary, id, attack, slide)),
        { seed: PROPERTY_SEED + 10, numRuns: 2500 },
      );
    });
  });

  describe('InMemorySessionStore', () => {
    it('random, truncated, bit-flipped, extended, wrong-shape and foreign bytes', async () => {
      const { observed, hook, logger } = observer();
      const cipher = new InjectingCipher(new AesGcmSessionCipher(KEY));
      const store = new InMemorySessionStore({ cipher, maxPayloadBytes: MAX_PAYLOAD, onUnreadable: hook, logger });
      const backend: Backend = {
        store,
        observed,
        plant: async (id, bytes) => {
          cipher.next = bytes;
          await store.save(id, validRecord(), TTL);
        },
      };
      const canary = { id: 'canary-canary-canary-canary-0002', record: validRecord() };
      await store.save(canary.id, canary.record, TTL);

      // The memory store is only ever written through its own size check: no oversized bytes to plant.
      await fc.assert(
        fc.asyncProperty(attackCase(false), fc.boolean(), ({ id, attack }, slide) => checkAttack(backend, canary, id, attack, slide)),
        { seed: PROPERTY_SEED + 11, numRuns: 2500 },
      );
    });
  });
});
