import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  InMemorySessionRegistry,
  InMemorySessionStore,
  InvalidIdentifierError,
  ValkeySessionRegistry,
  ValkeySessionStore,
  type SessionRecord,
  type SessionRegistry,
  type SessionStore,
} from '../../src/internal';
import { randomKey, uniquePrefix } from '../harness/valkey';
import { withTestClient } from '../harness/valkey-hooks';
import { PROPERTY_SEED } from '../harness/property-seed';
import { sessionIdArb } from '../harness/stored-bytes.arbitrary';
import { userIdPairArb } from '../harness/user-id.arbitrary';

/**
 * Invariant I8 for user ids: any non-empty string works, and two distinct ids never share a
 * registry (no collision, whatever their bytes: long ids and lone surrogates included); anything
 * else (the empty string, non-strings) is refused with `InvalidIdentifierError` before any
 * command is sent. Never a Valkey error, never a crash.
 */

/**
 * The registry key the layout promises, computed here on its own: the id as it is when it is
 * well-formed and at most 512 UTF-8 bytes, else `regh:` + SHA-256 of its UTF-16 code units.
 */
function expectedRegistryKey(prefix: string, userId: string): Buffer {
  if (userId.isWellFormed() && Buffer.byteLength(userId, 'utf8') <= 512) return Buffer.from(`${prefix}:reg:${userId}`, 'utf8');
  return Buffer.from(`${prefix}:regh:${createHash('sha256').update(Buffer.from(userId, 'utf16le')).digest('hex')}`);
}

const TTL = 60_000;
const record = (userId: unknown): SessionRecord => ({
  data: { owner: 'x' },
  createdAt: 1_900_000_000_000,
  userId: typeof userId === 'string' ? userId : undefined,
});

interface Backend {
  store: SessionStore;
  /** Concrete: `invalidateSession` is checked too, though not part of `SessionRegistry`. */
  registry: InMemorySessionRegistry | ValkeySessionRegistry;
  /** Whether the registry key of `userId` exists (Valkey only). */
  registryKeyExists?: (userId: string) => Promise<boolean>;
}

/** `register`'s outcome: done, or refused with the typed error. Anything else fails the property. */
async function tryRegister(registry: SessionRegistry, userId: unknown, sessionId: string): Promise<'ok' | 'refused'> {
  try {
    await registry.register(userId as string, sessionId);
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidIdentifierError);
    expect((error as InvalidIdentifierError).identifier).toBe('userId');
    return 'refused';
  }
}

async function checkPair(backend: Backend, [a, b]: [unknown, unknown], [sa, sb]: [string, string]): Promise<void> {
  const { store, registry } = backend;
  await Promise.all([store.save(sa, record(a), TTL), store.save(sb, record(b), TTL)]);
  const [ra, rb] = [await tryRegister(registry, a, sa), await tryRegister(registry, b, sb)];

  // A refused id is refused by every registry call, before anything reaches the backend.
  for (const [id, outcome] of [
    [a, ra],
    [b, rb],
  ] as const) {
    if (outcome !== 'refused') continue;
    const calls = [
      () => registry.activeSessions(id as string),
      () => registry.members(id as string),
      () => registry.isValid(id as string, sa),
      () => registry.admit(id as string, sa, 5),
      () => registry.unregister(id as string, sa),
      () => registry.invalidateSession(id as string, sa),
      () => registry.invalidateUser(id as string),
    ];
    for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidIdentifierError);
    // Nothing was revoked on the way: the session it tried to touch is still there.
    expect(await store.load(sa)).not.toBeNull();
  }

  if (ra === 'ok' && rb === 'ok') {
    // Isolation: each sees only its own session, and revoking one leaves the other whole.
    expect(await registry.activeSessions(a as string)).toEqual([sa]);
    expect(await registry.activeSessions(b as string)).toEqual([sb]);
    expect(await registry.isValid(a as string, sb)).toBe(false);
    expect(await registry.isValid(b as string, sa)).toBe(false);
    expect(await registry.invalidateUser(a as string)).toEqual([sa]);
    expect(await registry.activeSessions(b as string)).toEqual([sb]);
    expect(await store.load(sb)).toEqual(record(b));
    expect(await store.load(sa)).toBeNull();
    if (backend.registryKeyExists) {
      expect(await backend.registryKeyExists(a as string)).toBe(false);
      expect(await backend.registryKeyExists(b as string)).toBe(true);
    }
  } else if (ra === 'ok' || rb === 'ok') {
    // A refused id does not disturb the accepted one.
    const [id, sid] = ra === 'ok' ? [a as string, sa] : [b as string, sb];
    expect(await registry.activeSessions(id)).toEqual([sid]);
  }
}

const sessionPair = fc.tuple(sessionIdArb, sessionIdArb).filter(([x, y]) => x !== y);

describe('user ids: any non-empty string works in isolation, anything else is refused typed, on every backend (property)', () => {
  describe('ValkeySessionRegistry on the real valkey-server', () => {
    const valkey = withTestClient();

    it('pairs of hostile and look-alike user ids', async () => {
      const key = randomKey();
      await fc.assert(
        fc.asyncProperty(userIdPairArb, sessionPair, async (users, sessions) => {
          // A fresh key space per case: generated ids repeat across cases.
          const prefix = uniquePrefix('prop-uid');
          const store = new ValkeySessionStore(valkey.client, key, { prefix });
          const registry = new ValkeySessionRegistry(valkey.client, { store, prefix, lifetimeMs: TTL });
          const registryKeyExists = async (userId: string) => (await valkey.client.exists(expectedRegistryKey(prefix, userId))) === 1;
          await checkPair({ store, registry, registryKeyExists }, users, sessions);
        }),
        { seed: PROPERTY_SEED + 20, numRuns: 1000 },
      );
    });
  });

  describe('InMemorySessionRegistry', () => {
    it('pairs of hostile and look-alike user ids', async () => {
      await fc.assert(
        fc.asyncProperty(userIdPairArb, sessionPair, async (users, sessions) => {
          const store = new InMemorySessionStore();
          await checkPair({ store, registry: new InMemorySessionRegistry({ store, lifetimeMs: TTL }) }, users, sessions);
        }),
        { seed: PROPERTY_SEED + 21, numRuns: 1500 },
      );
    });
  });
});
