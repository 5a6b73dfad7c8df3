import { Logger } from '@nestjs/common';
import type { ChainableCommander } from 'iovalkey';
import type { SessionRecord } from '../codec/session-record.js';
import { AesGcmSessionCipher } from '../crypto/aes-gcm-session.cipher.js';
import { PlaintextSessionCipher } from '../crypto/plaintext-session.cipher.js';
import type { SecretKeyInput } from '../crypto/secret-key.js';
import type { SessionCipher } from '../crypto/session-cipher.js';
import { isSessionId } from '../crypto/session-id.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { ValkeyClient } from './valkey-client.js';
import { assertDurableWrites, durableSet, writeAllAndWait, writeAndWait, type DurableWritesOptions } from './durable-writes.js';
import { KeyLayout } from './key-layout.js';
import { LoadBatcher } from './load-batcher.js';
import { scanKeys } from './scan-keys.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, SealedRecordFormat, type UnreadableRecordHook } from '../store/sealed-record.js';
import { SessionStore, type LoadOptions, type SaveMode } from '../store/session-store.js';
import { assertGoneReason } from '../store/gone-reason.js';
import { assertTtl } from '../store/ttl.js';

/** Options of {@link ValkeySessionStore}. */
export interface ValkeySessionStoreOptions {
  /** Key prefix. @default 'axess' */
  prefix?: string;
  /** Largest stored record in bytes, after encryption; larger saves fail. @default 65536 */
  maxPayloadBytes?: number;
  /** Called when a stored record cannot be read (load then answers `null`). */
  onUnreadable?: UnreadableRecordHook;
  /** Where warnings go. @default new Logger('AxessSession') */
  logger?: Logger;
  /**
   * Make `save`, `cycle`, `delete` and `markGone` wait until `replicas` replicas acknowledged
   * the write (`WAIT`, sent with the writes in one pipeline to the node holding each key, Cluster
   * included): a session whose save resolved, and a deletion, revocation or eviction that
   * resolved, survive a failover. Too few acknowledgements within `timeoutMs` fail the
   * call with `SessionStoreError` of kind `replication`. WAIT holds the node connection it runs on
   * until it returns, so keep `timeoutMs` short and below the client's command timeout.
   * Off by default (Valkey replicates asynchronously).
   */
  durableWrites?: DurableWritesOptions;
}

const MODE_FLAG: Record<Exclude<SaveMode, 'upsert'>, 'NX' | 'XX'> = { create: 'NX', update: 'XX' };

/**
 * Session records in Valkey: `{prefix}:sess:{id}` holds the sealed record as a binary string
 * with a `PX` expiry; Valkey expires it, so there is no cleanup task. Every command touches one
 * key, so the store is Cluster-safe. The client is the caller's: `close()` never quits it.
 *
 * @example
 * const store = new ValkeySessionStore(new Redis(url), process.env.AXESS_ENCRYPTION_KEY!);
 */
export class ValkeySessionStore extends SessionStore {
  /** The key layout in use (for this package's own tests and benchmarks). @internal */
  readonly keys: KeyLayout;
  private readonly format: SealedRecordFormat;
  private readonly logger: Logger;
  private readonly onUnreadable?: UnreadableRecordHook;
  private readonly durableWrites?: DurableWritesOptions;
  /** Sends `load`'s reads: at once when alone, in one pipeline per turn under load. */
  private readonly loads: LoadBatcher;

  /** An encrypted store (AES-256-GCM) with one current key. */
  constructor(client: ValkeyClient, currentKey: SecretKeyInput, options?: ValkeySessionStoreOptions);
  /** A store with an explicit cipher (e.g. a key ring, or a cipher of your own). */
  constructor(client: ValkeyClient, cipher: SessionCipher, options?: ValkeySessionStoreOptions);
  constructor(
    private readonly client: ValkeyClient,
    key: SecretKeyInput | SessionCipher,
    options: ValkeySessionStoreOptions = {},
  ) {
    super();
    const cipher = isCipher(key) ? key : new AesGcmSessionCipher(key);
    this.keys = new KeyLayout(options.prefix);
    this.loads = new LoadBatcher(client);
    this.format = new SealedRecordFormat(cipher, options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES);
    this.logger = options.logger ?? new Logger('AxessSession');
    this.onUnreadable = options.onUnreadable;
    if (options.durableWrites !== undefined) {
      assertDurableWrites(options.durableWrites);
      this.durableWrites = { replicas: options.durableWrites.replicas, timeoutMs: options.durableWrites.timeoutMs };
    }
    if (!cipher.encrypts) {
      this.logger.warn('Session records are stored in PLAINTEXT: anyone who can read Valkey can read them.');
    }
  }

  override get backend(): string {
    return 'valkey';
  }

  /** One PING to the server (on a Cluster, to one of its nodes). */
  override async ping(): Promise<void> {
    try {
      await this.client.ping();
    } catch (error) {
      throw SessionStoreError.fromClient('PING', error);
    }
  }

  /** An encrypted store that still opens records sealed with `previousKey` (re-sealed on next save). */
  static encryptedWithRotation(
    client: ValkeyClient,
    currentKey: SecretKeyInput,
    previousKey: SecretKeyInput,
    options?: ValkeySessionStoreOptions,
  ): ValkeySessionStore {
    return new ValkeySessionStore(client, new AesGcmSessionCipher(currentKey, [previousKey]), options);
  }

  /** An unencrypted store: an explicit opt-in that logs a warning. */
  static plaintext(client: ValkeyClient, options?: ValkeySessionStoreOptions): ValkeySessionStore {
    return new ValkeySessionStore(client, new PlaintextSessionCipher(), options);
  }

  async load(id: string, options: LoadOptions = {}): Promise<SessionRecord | null> {
    // Checked outside the client call: inside it, a bad option would be reported as a connection error.
    if (options.refreshTtlMs !== undefined) assertTtl(options.refreshTtlMs, 'refreshTtlMs');
    if (!isSessionId(id)) return null;
    const key = this.keys.session(id);
    let bytes: Buffer | null;
    try {
      bytes = await this.loads.load(key, options.refreshTtlMs);
    } catch (error) {
      throw SessionStoreError.fromClient('load', error);
    }
    return bytes === null ? null : this.format.readOrReport(id, bytes, this.logger, this.onUnreadable);
  }

  async save(id: string, record: SessionRecord, ttlMs: number, options: { mode?: SaveMode } = {}): Promise<boolean> {
    const key = this.keys.session(id);
    assertTtl(ttlMs);
    const bytes = this.format.toBytes(id, record);
    const mode = options.mode ?? 'upsert';
    if (this.durableWrites) {
      return (
        (await durableSet(this.client, this.durableWrites, 'save', key, bytes, ttlMs, mode === 'upsert' ? undefined : MODE_FLAG[mode])) ===
        'OK'
      );
    }
    try {
      const reply =
        mode === 'upsert'
          ? await this.client.set(key, bytes, 'PX', ttlMs)
          : await this.setConditionally(key, bytes, ttlMs, MODE_FLAG[mode]);
      return reply === 'OK';
    } catch (error) {
      throw SessionStoreError.fromClient('save', error);
    }
  }

  async delete(...ids: string[]): Promise<void> {
    const keys = ids.map((id) => this.keys.session(id));
    if (keys.length === 0) return;
    if (this.durableWrites) {
      await writeAllAndWait(
        this.client,
        this.durableWrites,
        'delete',
        keys.map((key) => (p) => p.del(key)),
      );
      return;
    }
    try {
      // One DEL per key: single-slot commands, sent together (one round trip).
      await Promise.all(keys.map((key) => this.client.del(key)));
    } catch (error) {
      throw SessionStoreError.fromClient('delete', error);
    }
  }

  async cycle(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<void> {
    await this.move(oldId, newId, record, ttlMs);
  }

  /** The cycle's one round trip; the DEL's count says who won. The loser's new record is deleted. */
  override async rotate(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    if ((await this.move(oldId, newId, record, ttlMs)) > 0) return true;
    await this.delete(newId);
    return false;
  }

  /** `SET newKey … NX` and `DEL oldKey` sent together; how many old records the DEL removed. */
  private async move(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<number> {
    const oldKey = this.keys.session(oldId);
    const newKey = this.keys.session(newId);
    assertTtl(ttlMs);
    const bytes = this.format.toBytes(newId, record);
    let written: string | null;
    let deleted: number;
    if (this.durableWrites) {
      // Each key may live on its own node: one write + WAIT pipeline per key, sent together.
      [written, deleted] = await Promise.all([
        durableSet(this.client, this.durableWrites, 'cycle', newKey, bytes, ttlMs, 'NX'),
        writeAndWait<number>(
          this.client,
          this.durableWrites,
          'cycle',
          (p) => p.del(oldKey),
          (r) => r > 0,
        ),
      ]);
    } else {
      try {
        // The new record goes first in the same write; if the delete then fails the call fails.
        [written, deleted] = await Promise.all([this.setConditionally(newKey, bytes, ttlMs, 'NX'), this.client.del(oldKey)]);
      } catch (error) {
        throw SessionStoreError.fromClient('cycle', error);
      }
    }
    if (written !== 'OK') {
      throw new SessionStoreError('command', 'Session id collision while cycling: the new id already exists.');
    }
    return deleted;
  }

  override async existing(ids: readonly string[]): Promise<Set<string>> {
    const flags = await this.perSession(ids, 'exists', (key) => this.client.exists(key));
    return new Set([...flags].filter(([, flag]) => flag === 1).map(([id]) => id));
  }

  /** `PEXPIRE key ttl`: one command; an absent record stays absent. */
  override async expire(id: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    if (!isSessionId(id)) return false;
    try {
      return (await this.client.pexpire(this.keys.session(id), ttlMs)) === 1;
    } catch (error) {
      throw SessionStoreError.fromClient('pexpire', error);
    }
  }

  override async remainingTtl(ids: readonly string[]): Promise<Map<string, number>> {
    const ttls = await this.perSession(ids, 'pttl', (key) => this.client.pttl(key));
    return new Map([...ttls].filter(([, ttl]) => ttl >= 0));
  }

  /** One single-key command per valid id, sent together (Cluster-safe); the replies by id. */
  private async perSession(
    ids: readonly string[],
    operation: string,
    command: (key: string) => Promise<number>,
  ): Promise<Map<string, number>> {
    const valid = ids.filter(isSessionId);
    try {
      const replies = await Promise.all(valid.map((id) => command(this.keys.session(id))));
      return new Map(valid.map((id, i) => [id, replies[i]]));
    } catch (error) {
      throw SessionStoreError.fromClient(operation, error);
    }
  }

  override async markGone(ids: readonly string[], reason: string, ttlMs: number): Promise<void> {
    assertGoneReason(reason);
    assertTtl(ttlMs);
    const keys = ids.map((id) => [this.keys.gone(id), this.keys.session(id)] as const);
    if (keys.length === 0) return;
    if (this.durableWrites) {
      // A revocation or eviction that resolved must survive a failover: the promoted replica has its markers and deletions.
      const writes = keys.flatMap(([gone, session]) => [
        (p: ChainableCommander) => p.set(gone, reason, 'PX', ttlMs),
        (p: ChainableCommander) => p.del(session),
      ]);
      await writeAllAndWait(this.client, this.durableWrites, 'markGone', writes);
      return;
    }
    try {
      // Marker first, then the record: a request that finds the record missing finds the marker.
      await Promise.all(keys.flatMap(([gone, session]) => [this.client.set(gone, reason, 'PX', ttlMs), this.client.del(session)]));
    } catch (error) {
      throw SessionStoreError.fromClient('markGone', error);
    }
  }

  /** `SCAN` of `{prefix}:sess:*` on the server, or on every Cluster primary. */
  override async *sessionIds(): AsyncGenerator<string[]> {
    const start = this.keys.sessionPrefix.length;
    try {
      for await (const keys of scanKeys(this.client, `${this.keys.sessionPrefix}*`)) yield keys.map((key) => key.slice(start));
    } catch (error) {
      throw SessionStoreError.fromClient('sessionIds', error);
    }
  }

  override async goneReason(id: string): Promise<string | undefined> {
    if (!isSessionId(id)) return undefined;
    try {
      return (await this.client.get(this.keys.gone(id))) ?? undefined;
    } catch (error) {
      throw SessionStoreError.fromClient('goneReason', error);
    }
  }

  private setConditionally(key: string, bytes: Buffer, ttlMs: number, flag: 'NX' | 'XX'): Promise<'OK' | null> {
    return flag === 'NX' ? this.client.set(key, bytes, 'PX', ttlMs, 'NX') : this.client.set(key, bytes, 'PX', ttlMs, 'XX');
  }
}

function isCipher(value: unknown): value is SessionCipher {
  return typeof value === 'object' && value !== null && typeof (value as SessionCipher).seal === 'function';
}
