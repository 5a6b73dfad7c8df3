import { AxessSession, getAxessSession, AxessSessionNotMountedError } from '../../src/internal';
import { attachAxessSession } from '../../src/http/session-request';
import { SessionState } from '../../src/http/session-state';

const NOW = Date.UTC(2031, 0, 1);
const ID = 'A'.repeat(32);

function fresh(): { session: AxessSession; state: SessionState } {
  const state = new SessionState(undefined, undefined, () => NOW);
  return { session: new AxessSession(state), state };
}

function stored(data: Record<string, unknown> = { a: 1 }, userId?: string): { session: AxessSession; state: SessionState } {
  const state = new SessionState(ID, { data, createdAt: NOW - 1000, ...(userId ? { userId, authenticatedAt: NOW - 500 } : {}) }, () => NOW);
  return { session: new AxessSession(state), state };
}

describe('AxessSession', () => {
  it('an empty session has no id, no user, no data and nothing to commit', () => {
    const { session } = fresh();
    expect(session.id).toBeUndefined();
    expect(session.userId).toBeUndefined();
    expect(session.isAuthenticated).toBe(false);
    expect(session.createdAt).toBeUndefined();
    expect(session.data).toEqual({});
    expect(session.changed).toBe(false);
  });

  it('reading never marks it changed', () => {
    const { session } = stored({ a: 1 }, 'alice');
    expect(session.get('a')).toBe(1);
    expect(session.get('missing')).toBeUndefined();
    expect(session.data).toEqual({ a: 1 });
    expect(session.id).toBe(ID);
    expect(session.userId).toBe('alice');
    expect(session.isAuthenticated).toBe(true);
    expect(session.createdAt).toEqual(new Date(NOW - 1000));
    expect(session.authenticatedAt).toEqual(new Date(NOW - 500));
    expect(session.changed).toBe(false);
  });

  it('set creates the session on first use, stamped by the clock, and marks it changed', () => {
    const { session, state } = fresh();
    session.set('cart', ['book']);
    expect(session.get('cart')).toEqual(['book']);
    expect(session.createdAt).toEqual(new Date(NOW));
    expect(session.changed).toBe(true);
    expect(state.dirty).toBe(true);
    expect(session.id).toBeUndefined(); // minted at commit
  });

  it('data is a read-only snapshot', () => {
    const { session } = stored({ a: 1 });
    const view = session.data as Record<string, unknown>;
    expect(() => {
      view.a = 2;
    }).toThrow(TypeError);
    expect(session.get('a')).toBe(1);
    expect(session.changed).toBe(false);
  });

  it('delete reports whether the key was there and only then marks a change', () => {
    const { session } = stored({ a: 1 });
    expect(session.delete('missing')).toBe(false);
    expect(session.changed).toBe(false);
    expect(session.delete('a')).toBe(true);
    expect(session.changed).toBe(true);
    expect(session.data).toEqual({});
  });

  it('set(key, undefined) deletes; clear() empties; neither changes an already-empty session', () => {
    const { session } = stored({ a: 1, b: 2 });
    session.set('a', undefined);
    expect(session.data).toEqual({ b: 2 });
    session.clear();
    expect(session.data).toEqual({});
    const empty = fresh().session;
    empty.clear();
    empty.set('nothing', undefined);
    expect(empty.changed).toBe(false);
  });

  it('inherited names are not data, and "__proto__" is refused as a key', () => {
    const { session } = stored({});
    expect(session.get('toString')).toBeUndefined();
    expect(session.get('__proto__')).toBeUndefined();
    expect(() => session.set('__proto__', { polluted: true })).toThrow(TypeError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(session.changed).toBe(false);
  });

  it('regenerate marks a stored session for a new id and does nothing to an unstored one', () => {
    const { session, state } = stored();
    session.regenerate();
    expect(state.regenerate).toBe(true);
    expect(session.changed).toBe(true);
    const empty = fresh();
    empty.session.regenerate();
    expect(empty.session.changed).toBe(false);
  });

  it('destroy forgets the session, schedules its deletion and the cookie clearing', () => {
    const { session, state } = stored({ a: 1 }, 'alice');
    session.destroy();
    expect(session.id).toBeUndefined();
    expect(session.userId).toBeUndefined();
    expect(session.data).toEqual({});
    expect(state.doomed).toEqual([{ id: ID, userId: 'alice' }]);
    expect(state.clearCookie).toBe(true);
    // Storing afterwards starts a new, empty session.
    session.set('again', 1);
    expect(session.data).toEqual({ again: 1 });
    expect(session.userId).toBeUndefined();
  });

  it('lives on the raw request: found from an Express-like or a Fastify-like request', () => {
    const raw = { headers: {} };
    const { session } = fresh();
    attachAxessSession(raw, session);
    expect(getAxessSession(raw)).toBe(session);
    expect(getAxessSession({ raw, headers: {} })).toBe(session);
    expect(() => getAxessSession({ headers: {} })).toThrow(AxessSessionNotMountedError);
  });
});
