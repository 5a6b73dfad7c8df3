import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'iovalkey';
import { SessionStoreError, type AxessConnectionOptions } from '@axess/nestjs-session';

/** What a reservation answers: whether the attempt may go on, and how long the current window still runs. */
export interface SlotReservation {
  allowed: boolean;
  /** Milliseconds until the key's window ends (when a refused attempt may try again). */
  retryAfterMs: number;
}

/**
 * Counts sign-in attempts per key (an address or a username) in a window. An attempt takes its
 * slot before its password is verified, in one atomic step that refuses it when the key already
 * holds `limit` slots; a successful sign-in gives its slot back. So attempts that arrive together
 * are counted as they arrive, and no more than `limit` passwords are verified per key and window.
 */
export abstract class SignInAttempts {
  /**
   * Takes one slot of `key`, or refuses when `limit` are taken. The window starts with the first
   * slot; the slot that fills the last place restarts it, so a key that reached its limit stays
   * refused for a whole `windowMs` after that.
   */
  abstract reserve(key: string, limit: number, windowMs: number): Promise<SlotReservation>;

  /** Gives back one slot taken by `reserve` (the attempt succeeded). */
  abstract release(key: string): Promise<void>;
}

/** Bounds every command, as the session module bounds its own (`commandTimeoutMs`). */
const COMMAND_TIMEOUT_MS = 2000;

/**
 * Reserve, one key: refuse at the limit, otherwise increment; the first slot opens the window and
 * the one that reaches the limit restarts it. A key without an expiry (never written by this
 * script) gets one. Returns { allowed 0|1, ms left in the window }.
 */
const RESERVE_LUA = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local taken = tonumber(redis.call('GET', KEYS[1]) or '0')
if taken >= limit then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], window)
    ttl = window
  end
  return {0, ttl}
end
taken = redis.call('INCR', KEYS[1])
if taken == 1 or taken >= limit then
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, window}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
return {1, ttl}
`;

/** Release, one key: one slot fewer; the key goes when none is left (never below zero, never without expiry). */
const RELEASE_LUA = `
local taken = tonumber(redis.call('GET', KEYS[1]) or '0')
if taken <= 1 then
  redis.call('DEL', KEYS[1])
else
  redis.call('DECR', KEYS[1])
end
return 0
`;

interface AttemptCommands {
  sampleSignInReserve(key: string, limit: number, windowMs: number): Promise<[number, number]>;
  sampleSignInRelease(key: string): Promise<number>;
}

/**
 * The counts on the sample's Valkey (standalone, Sentinel or Cluster): every instance of the app
 * sees the same attempts. Each script touches one key, so it is Cluster-safe. The sample opens
 * its own client for them (the session module's client is its own business) and quits it when
 * the app shuts down. The client has an `error` listener: while Valkey is unreachable it logs one
 * warning naming the reason (the library's `SessionStoreError` reasons: `unreachable`,
 * `timeout`...), and one line when Valkey answers again, instead of a line per reconnection.
 */
export class ValkeySignInAttempts extends SignInAttempts implements OnModuleDestroy {
  private readonly logger = new Logger('SignInThrottle');
  private readonly client: Redis | Cluster;
  private failing = false;

  constructor(
    connection: AxessConnectionOptions,
    private readonly keyPrefix: string,
  ) {
    super();
    const { url, clusterNodes, clusterOptions, sentinels, ...rest } = connection;
    const base: RedisOptions = { maxRetriesPerRequest: 1, ...rest, commandTimeout: COMMAND_TIMEOUT_MS, lazyConnect: true };
    if (clusterNodes) {
      this.client = new Cluster(clusterNodes, {
        ...clusterOptions,
        lazyConnect: true,
        redisOptions: { ...base, ...clusterOptions?.redisOptions },
      });
    } else if (sentinels) {
      this.client = new Redis({ ...base, sentinels });
    } else if (url) {
      this.client = new Redis(url, base);
    } else {
      this.client = new Redis(base);
    }
    this.client.on('error', (error: unknown) => this.onError(error));
    this.client.on('ready', () => this.onReady());
    this.client.defineCommand('sampleSignInReserve', { numberOfKeys: 1, lua: RESERVE_LUA });
    this.client.defineCommand('sampleSignInRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  }

  async reserve(key: string, limit: number, windowMs: number): Promise<SlotReservation> {
    const [allowed, ttl] = await this.commands.sampleSignInReserve(this.keyPrefix + key, limit, windowMs);
    return { allowed: allowed === 1, retryAfterMs: Number(ttl) };
  }

  async release(key: string): Promise<void> {
    await this.commands.sampleSignInRelease(this.keyPrefix + key);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.client.status === 'wait' || this.client.status === 'end') {
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private get commands(): AttemptCommands {
    return this.client as unknown as AttemptCommands;
  }

  /** One warning per outage, typed like the session store's failures; never the client's own "Unhandled error event". */
  private onError(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const reason = SessionStoreError.fromClient('sign-in throttle', error).reason;
    this.logger.warn(`Valkey failing (${reason}) for the sign-in throttle: sign-ins answer 503 until it answers again.`);
  }

  private onReady(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.log('Valkey answers the sign-in throttle again.');
  }
}

/**
 * The same counts in this process, for the in-memory fallback (like the sessions then): one
 * JavaScript turn per reservation, so it is as atomic as the script.
 */
export class InMemorySignInAttempts extends SignInAttempts {
  private readonly slots = new Map<string, { taken: number; expiresAt: number }>();

  reserve(key: string, limit: number, windowMs: number): Promise<SlotReservation> {
    const now = Date.now();
    if (this.slots.size > 10_000) this.sweep(now);
    let entry = this.slots.get(key);
    if (entry && entry.expiresAt <= now) entry = undefined;
    if (entry && entry.taken >= limit) return Promise.resolve({ allowed: false, retryAfterMs: entry.expiresAt - now });
    if (!entry) {
      entry = { taken: 0, expiresAt: now + windowMs };
      this.slots.set(key, entry);
    }
    entry.taken++;
    if (entry.taken >= limit) entry.expiresAt = now + windowMs;
    return Promise.resolve({ allowed: true, retryAfterMs: entry.expiresAt - now });
  }

  release(key: string): Promise<void> {
    const entry = this.slots.get(key);
    if (entry && --entry.taken <= 0) this.slots.delete(key);
    return Promise.resolve();
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.slots) if (entry.expiresAt <= now) this.slots.delete(key);
  }
}
