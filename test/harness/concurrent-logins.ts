import type { Redis } from 'iovalkey';
import { mintSessionId, type SessionLimitPolicy, type SessionRecord, type SessionRegistry, type SessionStore } from '../../src/internal';
import { liveSessions } from './live-sessions';

/** One app instance: its own store and registry (and, in the tests, its own Valkey client). */
export interface LoginBackend {
  store: SessionStore;
  registry: SessionRegistry;
}

/** What {@link runConcurrentLogins} observed. */
export interface ConcurrentLoginsOutcome {
  /** Every session id that completed a login, in no particular order. */
  loggedIn: string[];
  /** Every id some admission returned as evicted. */
  evicted: string[];
  /** Every session id whose admission was refused (`onLimit: 'refuse'`); its record is deleted, as the service does. */
  refused: string[];
}

const TTL_MS = 60_000;

/**
 * Runs `logins` logins of one user at the same time, spread round-robin over `backends`, each the
 * way a login completes in the product: the anonymous session's record is cycled to a fresh id
 * (bound to the user), and the new id is admitted under the cap with `recordWritten`, so the
 * write and the registry's reads travel together. All anonymous sessions exist before the first
 * login starts, so the logins interleave as much as the backends allow.
 */
export async function runConcurrentLogins(options: {
  backends: LoginBackend[];
  userId: string;
  cap: number;
  logins?: number;
  /** What a full cap does (`AdmitOptions.onLimit`). @default 'evict-oldest' */
  onLimit?: SessionLimitPolicy;
}): Promise<ConcurrentLoginsOutcome> {
  const { backends, userId, cap, onLimit } = options;
  const logins = options.logins ?? 50;
  const anonymous = Array.from({ length: logins }, () => mintSessionId());
  await Promise.all(
    anonymous.map((id, i) =>
      backends[i % backends.length].store.save(id, { data: { cart: [i] }, createdAt: Date.now() }, TTL_MS, { mode: 'create' }),
    ),
  );
  const results = await Promise.all(
    anonymous.map(async (oldId, i) => {
      const { store, registry } = backends[i % backends.length];
      const newId = mintSessionId();
      const now = Date.now();
      const record: SessionRecord = { data: { cart: [i] }, createdAt: now, userId, authenticatedAt: now };
      const evicted = await registry.admit(userId, newId, cap, { recordWritten: store.cycle(oldId, newId, record, TTL_MS), onLimit });
      if (evicted === null) await store.delete(newId);
      return { newId, evicted };
    }),
  );
  return {
    loggedIn: results.filter((r) => r.evicted !== null).map((r) => r.newId),
    evicted: results.flatMap((r) => r.evicted ?? []),
    refused: results.filter((r) => r.evicted === null).map((r) => r.newId),
  };
}

/** The ids among `ids` that still work: their record loads and the registry calls them valid. */
export async function usableSessions(backend: LoginBackend, userId: string, ids: readonly string[]): Promise<string[]> {
  const checks = await Promise.all(
    ids.map(async (id) => (await backend.store.load(id)) !== null && (await backend.registry.isValid(userId, id))),
  );
  return ids.filter((_, i) => checks[i]);
}

/**
 * Records the order in which admissions ran on the node holding `registryKey`, from `MONITOR`
 * (the server's own execution order, which no client-side timing can give). `monitorOn` must be
 * a fresh connection to that node; it is used for nothing else and disconnected by `stop()`.
 */
export async function watchAdmissionOrder(monitorOn: Redis, registryKey: string): Promise<{ stop(): Promise<string[]> }> {
  const monitor = await monitorOn.monitor();
  const seen: string[] = [];
  let marker: string | undefined;
  let markerSeen: () => void = () => undefined;
  monitor.on('monitor', (_time: string, args: string[]) => {
    const command = String(args[0]).toLowerCase();
    // ARGV[4] of the admission script is the admitted id (see admission.script.ts).
    if ((command === 'evalsha' || command === 'eval') && args[3] === registryKey) seen.push(args[7]);
    if (command === 'echo' && args[1] === marker) markerSeen();
  });
  return {
    stop: async () => {
      // MONITOR lines travel on their own connection and may trail the replies: a marker sent
      // after the logins completed shows up only once every earlier command has.
      marker = `marker-${mintSessionId()}`;
      const arrived = new Promise<void>((resolve) => (markerSeen = resolve));
      const sender = monitorOn.duplicate();
      try {
        await sender.echo(marker);
        await arrived;
      } finally {
        sender.disconnect();
        monitor.disconnect();
        monitorOn.disconnect();
      }
      // An EVALSHA answered NOSCRIPT is retried as EVAL: the last occurrence is the one that ran.
      return seen.filter((id, i) => seen.lastIndexOf(id) === i);
    },
  };
}

/**
 * Invariant I1 on the outcome of {@link runConcurrentLogins}: exactly `cap` sessions are usable
 * (more logins than the cap ran), they are the last `cap` admitted in `admissionOrder`, every
 * other login was evicted and fails (I2), and no session is both.
 */
export async function expectAtMostCapNewestUsable(
  backend: LoginBackend,
  userId: string,
  cap: number,
  outcome: ConcurrentLoginsOutcome,
  admissionOrder: string[],
): Promise<void> {
  const usable = await usableSessions(backend, userId, outcome.loggedIn);
  expect(usable.length).toBe(cap);
  expect(new Set(admissionOrder)).toEqual(new Set(outcome.loggedIn));
  expect(new Set(usable)).toEqual(new Set(admissionOrder.slice(-cap)));
  expect(new Set(outcome.evicted)).toEqual(new Set(outcome.loggedIn.filter((id) => !usable.includes(id))));
  expect(outcome.evicted.length).toBe(outcome.loggedIn.length - cap);
  expect(await liveSessions(backend, userId)).toEqual(admissionOrder.slice(-cap));
  for (const id of outcome.evicted) expect(await backend.store.load(id)).toBeNull();
}
