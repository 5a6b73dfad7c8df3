import {
  AxessArgumentError,
  assertSessionId,
  isSessionId,
  SessionRegistry,
  SessionStore,
  SessionStoreError,
  type AdmitOptions,
  type LoadOptions,
  type RegisteredSession,
  type SaveMode,
  type SessionRecord,
} from '../../src/internal';

/**
 * The smallest backend an app can bring (`store: { sessions, registry }`): the four core methods
 * over a Map, no optional capability, records kept as structured clones. It stands in for a
 * team's own store (a SQL table, another key-value store) in the conformance and module tests.
 */
export class CoreOnlyStore extends SessionStore {
  private readonly records = new Map<string, { record: SessionRecord; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  async load(id: string, options: LoadOptions = {}): Promise<SessionRecord | null> {
    if (options.refreshTtlMs !== undefined) checkTtl(options.refreshTtlMs, 'refreshTtlMs');
    const entry = isSessionId(id) ? this.live(id) : undefined;
    if (!entry) return null;
    if (options.refreshTtlMs !== undefined) entry.expiresAt = this.now() + options.refreshTtlMs;
    return structuredClone(entry.record);
  }

  async save(id: string, record: SessionRecord, ttlMs: number, options: { mode?: SaveMode } = {}): Promise<boolean> {
    assertSessionId(id);
    checkTtl(ttlMs, 'ttlMs');
    const exists = this.live(id) !== undefined;
    if ((options.mode === 'create' && exists) || (options.mode === 'update' && !exists)) return false;
    this.records.set(id, { record: structuredClone(record), expiresAt: this.now() + ttlMs });
    return true;
  }

  async delete(...ids: string[]): Promise<void> {
    for (const id of ids) this.records.delete(id);
  }

  async cycle(oldId: string, newId: string, record: SessionRecord, ttlMs: number): Promise<void> {
    if (!(await this.save(newId, record, ttlMs, { mode: 'create' }))) {
      throw new SessionStoreError('command', 'the new session id is taken');
    }
    this.records.delete(oldId);
  }

  private live(id: string): { record: SessionRecord; expiresAt: number } | undefined {
    const entry = this.records.get(id);
    if (entry && entry.expiresAt <= this.now()) this.records.delete(id);
    return entry && entry.expiresAt > this.now() ? entry : undefined;
  }
}

function checkTtl(ttlMs: number, name: string): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new AxessArgumentError(name, 'must be a whole number of milliseconds, at least 1.');
}

/**
 * A registry of the app's own with the four core methods only (here passed to a registry that
 * does the work): `register` and `isValid` come from the defaults of `SessionRegistry`.
 */
export class CoreOnlyRegistry extends SessionRegistry {
  constructor(private readonly inner: SessionRegistry) {
    super();
  }

  admit(userId: string, sessionId: string, maxSessions: number, options?: AdmitOptions): Promise<string[] | null> {
    return this.inner.admit(userId, sessionId, maxSessions, options);
  }

  members(userId: string): Promise<RegisteredSession[]> {
    return this.inner.members(userId);
  }

  unregister(userId: string, sessionId: string): Promise<void> {
    return this.inner.unregister(userId, sessionId);
  }

  invalidateUser(userId: string): Promise<string[]> {
    return this.inner.invalidateUser(userId);
  }
}
