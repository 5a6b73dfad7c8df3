import { checkHistory } from '../../chaos/checker';
import type { Operation } from '../../chaos/history';
import { recoveryTimes } from '../../chaos/report';

/** A hand-made history: operations in the order given, numbered; times in ms. */
function history(...ops: Array<Omit<Operation, 'index' | 'instance'> & { instance?: string }>): Operation[] {
  return ops.map((op, index) => ({ instance: 'a', ...op, index }));
}

const signIn = (client: string, user: string, id: string, start: number, end = start + 5): Omit<Operation, 'index' | 'instance'> => ({
  client,
  user,
  op: 'sign-in',
  start,
  end,
  status: 200,
  outcome: 'ok',
  observed: { userId: user, sessionId: id },
  created: id,
});

const me = (
  client: string,
  user: string,
  id: string,
  start: number,
  outcome: Operation['outcome'] = 'ok',
): Omit<Operation, 'index' | 'instance'> => ({
  client,
  user,
  op: 'me',
  session: id,
  start,
  end: start + 5,
  status: outcome === 'ok' ? 200 : outcome === 'refused' ? 401 : 503,
  outcome,
  observed: outcome === 'ok' ? { userId: user, sessionId: id } : undefined,
});

const CAP = { cap: 3 };

describe('the chaos history checker', () => {
  it('finds nothing in a clean history: sign-ins, uses, an eviction by a 4th sign-in, a logout refused afterwards, typed 503s', () => {
    const result = checkHistory(
      history(
        signIn('a0', 'alice', 's1', 0),
        signIn('a1', 'alice', 's2', 10),
        signIn('a2', 'alice', 's3', 20),
        me('a0', 'alice', 's1', 30),
        signIn('a3', 'alice', 's4', 40),
        me('a0', 'alice', 's1', 50, 'refused'),
        me('a1', 'alice', 's2', 60),
        { client: 'a1', user: 'alice', op: 'logout', session: 's2', start: 70, end: 75, status: 200, outcome: 'ok', ends: ['s2'] },
        me('a1', 'alice', 's2', 80, 'refused'),
        me('a2', 'alice', 's3', 90, 'unavailable'),
        me('a3', 'alice', 's4', 100),
      ),
      CAP,
    );
    expect(result.violations).toEqual([]);
    expect(result.counts).toEqual({ cap: 0, revocation: 0, acknowledged: 0, isolation: 0, errors: 0 });
  });

  it('cap: four sessions of one user, each acknowledged and used after all four existed', () => {
    const result = checkHistory(
      history(
        signIn('a0', 'alice', 's1', 0),
        signIn('a1', 'alice', 's2', 10),
        signIn('a2', 'alice', 's3', 20),
        signIn('a3', 'alice', 's4', 30),
        me('a0', 'alice', 's1', 50),
        me('a1', 'alice', 's2', 50),
        me('a2', 'alice', 's3', 50),
        me('a3', 'alice', 's4', 50),
      ),
      CAP,
    );
    expect(result.counts.cap).toBe(1);
    expect(result.violations[0].operations.map((op) => op.created).sort()).toEqual(['s1', 's2', 's3', 's4']);
  });

  it('cap: a use on a cached instance within the staleness bound of the eviction does not keep the session alive; beyond it, it does', () => {
    const ops = (useAt: number) =>
      history(
        signIn('a0', 'alice', 's1', 0),
        signIn('a1', 'alice', 's2', 10),
        signIn('a2', 'alice', 's3', 20),
        signIn('a3', 'alice', 's4', 40),
        { ...me('a0', 'alice', 's1', useAt), instance: 'cached' },
        me('a1', 'alice', 's2', 2000),
        me('a2', 'alice', 's3', 2000),
        me('a3', 'alice', 's4', 2000),
      );
    const options = { ...CAP, cachedInstances: ['cached'], cacheStalenessMs: 1000 };
    expect(checkHistory(ops(50), options).counts.cap).toBe(0);
    expect(checkHistory(ops(1500), options).counts.cap).toBe(1);
  });

  it('cap: no violation when the oldest was last used before the fourth sign-in was acknowledged', () => {
    const result = checkHistory(
      history(
        signIn('a0', 'alice', 's1', 0),
        signIn('a1', 'alice', 's2', 10),
        signIn('a2', 'alice', 's3', 20),
        me('a0', 'alice', 's1', 25),
        signIn('a3', 'alice', 's4', 30),
        me('a1', 'alice', 's2', 50),
        me('a2', 'alice', 's3', 50),
        me('a3', 'alice', 's4', 50),
      ),
      CAP,
    );
    expect(result.counts.cap).toBe(0);
  });

  it('revocation: a request accepted on a session after its logout was acknowledged, with both operations named', () => {
    const ops = history(
      signIn('a0', 'alice', 's1', 0),
      { client: 'a0', user: 'alice', op: 'logout', session: 's1', start: 10, end: 15, status: 200, outcome: 'ok', ends: ['s1'] },
      me('a0', 'alice', 's1', 20),
    );
    const result = checkHistory(ops, CAP);
    expect(result.counts.revocation).toBe(1);
    expect(result.violations[0].operations).toEqual([ops[1], ops[2]]);
  });

  it('revocation: revoke-others and logout-all end the sessions acknowledged before them; a request overlapping the revocation is not a violation', () => {
    const ops = history(
      signIn('a0', 'alice', 's1', 0),
      signIn('a1', 'alice', 's2', 10),
      { client: 'a1', user: 'alice', op: 'revoke-others', session: 's2', start: 20, end: 30, status: 200, outcome: 'ok' },
      me('a0', 'alice', 's1', 25),
      me('a1', 'alice', 's2', 40),
      me('a0', 'alice', 's1', 41),
      { client: 'a1', user: 'alice', op: 'logout-all', session: 's2', start: 50, end: 60, status: 200, outcome: 'ok' },
      me('a1', 'alice', 's2', 70),
    );
    const result = checkHistory(ops, CAP);
    expect(result.counts.revocation).toBe(2);
    expect(result.violations.map((v) => v.operations[1].index).sort()).toEqual([5, 7]);
  });

  it('revocation: an instance with the local cache accepting a revoked session within the staleness bound is reported apart; beyond it, a violation', () => {
    const ops = history(
      signIn('a0', 'alice', 's1', 0),
      { client: 'a0', user: 'alice', op: 'logout', session: 's1', start: 10, end: 15, status: 200, outcome: 'ok', ends: ['s1'] },
      { ...me('a0', 'alice', 's1', 1000), instance: 'cached' },
      { ...me('a0', 'alice', 's1', 4000), instance: 'cached' },
      { ...me('a0', 'alice', 's1', 1000), instance: 'uncached' },
    );
    const result = checkHistory(ops, { cap: 3, cachedInstances: ['cached'], cacheStalenessMs: 2500 });
    expect(result.staleCacheReads.map((v) => v.operations[1].index)).toEqual([2]);
    expect(result.violations.map((v) => v.operations[1].index).sort()).toEqual([3, 4]);
    expect(result.counts.revocation).toBe(2);
  });

  it('revocation: a session refused once and accepted later (resurrected)', () => {
    const result = checkHistory(
      history(signIn('a0', 'alice', 's1', 0), me('a0', 'alice', 's1', 10, 'refused'), me('a0', 'alice', 's1', 20)),
      CAP,
    );
    expect(result.counts.revocation).toBe(1);
  });

  it('acknowledged: a sign-in refused on first use with nothing that could have ended it', () => {
    const result = checkHistory(
      history(signIn('a0', 'alice', 's1', 0), signIn('a1', 'alice', 's2', 10), me('a0', 'alice', 's1', 20, 'refused')),
      CAP,
    );
    expect(result.counts.acknowledged).toBe(1);
    expect(result.violations[0].message).toContain('s1');
  });

  it('acknowledged: not a loss when a revocation of it may have applied (even one answered 503)', () => {
    const result = checkHistory(
      history(
        signIn('a0', 'alice', 's1', 0),
        { client: 'a1', user: 'alice', op: 'revoke', session: 's2', start: 10, end: 15, status: 503, outcome: 'unavailable', ends: ['s1'] },
        me('a0', 'alice', 's1', 20, 'refused'),
      ),
      CAP,
    );
    expect(result.counts.acknowledged).toBe(0);
  });

  it('acknowledged: not a loss when sign-ins answered 503 before it may still have been admitted after it (their commands delayed by a partition)', () => {
    const failed = (client: string, start: number): Omit<Operation, 'index' | 'instance'> => ({
      client,
      user: 'alice',
      op: 'sign-in',
      start,
      end: start + 5,
      status: 503,
      outcome: 'unavailable',
    });
    const ops = [signIn('a0', 'alice', 's1', 100), me('a0', 'alice', 's1', 120, 'refused')];
    // Two sign-ins after it and one failed just before: three that may have been admitted after it.
    const explained = checkHistory(
      history(failed('a3', 50), ...ops.slice(0, 1), signIn('a1', 'alice', 's2', 105), signIn('a2', 'alice', 's3', 108), ops[1]),
      CAP,
    );
    expect(explained.counts.acknowledged).toBe(0);
    // Without the failed one, two newer sign-ins cannot evict it at a cap of 3.
    const lost = checkHistory(history(...ops.slice(0, 1), signIn('a1', 'alice', 's2', 105), signIn('a2', 'alice', 's3', 108), ops[1]), CAP);
    expect(lost.counts.acknowledged).toBe(1);
    // A failed sign-in long before (beyond any fault) explains nothing.
    const old = checkHistory(
      history(failed('a3', -60_000), ...ops.slice(0, 1), signIn('a1', 'alice', 's2', 105), signIn('a2', 'alice', 's3', 108), ops[1]),
      CAP,
    );
    expect(old.counts.acknowledged).toBe(1);
  });

  it('acknowledged: not a loss when a revocation of the old id was sent before the re-authentication that replaced it answered', () => {
    const reauth = (end: number): Omit<Operation, 'index' | 'instance'> => ({
      client: 'a0',
      user: 'alice',
      op: 'reauthenticate',
      session: 's1',
      start: 10,
      end,
      status: 200,
      outcome: 'ok',
      observed: { userId: 'alice' },
      created: 's1b',
      ends: ['s1'],
    });
    const revokeOld = {
      client: 'a1',
      user: 'alice',
      op: 'revoke' as const,
      session: 's2',
      start: 30,
      end: 35,
      status: 200,
      outcome: 'ok' as const,
      ends: ['s1'],
    };
    const ops = (reauthEnd: number) =>
      history(
        signIn('a0', 'alice', 's1', 0),
        signIn('a1', 'alice', 's2', 1),
        reauth(reauthEnd),
        revokeOld,
        me('a0', 'alice', 's1b', 60, 'refused'),
      );
    // The revocation went out while the re-authentication was still unanswered: it may have hit the new id.
    expect(checkHistory(ops(40), CAP).counts.acknowledged).toBe(0);
    // Sent after the answer, a revocation of the old id cannot explain the new one's end.
    expect(checkHistory(ops(20), CAP).counts.acknowledged).toBe(1);
  });

  it('acknowledged: not a loss when a revocation by another device of the user named no target (it may have been this one)', () => {
    const result = checkHistory(
      history(
        signIn('a0', 'alice', 's1', 0),
        signIn('a1', 'alice', 's2', 1),
        { client: 'a1', user: 'alice', op: 'revoke', session: 's2', start: 10, end: 15, status: 200, outcome: 'ok' },
        me('a0', 'alice', 's1', 20, 'refused'),
      ),
      CAP,
    );
    expect(result.counts.acknowledged).toBe(0);
  });

  it('acknowledged: a note write acknowledged, then read back older (apart as a stale read on a cached instance within the bound)', () => {
    const ops = history(
      signIn('a0', 'alice', 's1', 0),
      {
        client: 'a0',
        user: 'alice',
        op: 'note-write',
        session: 's1',
        start: 10,
        end: 15,
        status: 200,
        outcome: 'ok',
        note: 'alice/a0/1',
      },
      {
        client: 'a0',
        user: 'alice',
        op: 'note-write',
        session: 's1',
        start: 20,
        end: 25,
        status: 200,
        outcome: 'ok',
        note: 'alice/a0/2',
      },
      {
        client: 'a0',
        user: 'alice',
        op: 'note-read',
        session: 's1',
        start: 30,
        end: 35,
        status: 200,
        outcome: 'ok',
        observed: { userId: 'alice', sessionId: 's1', note: 'alice/a0/1' },
      },
    );
    const result = checkHistory(ops, CAP);
    expect(result.counts.acknowledged).toBe(1);
    const onCache = checkHistory(
      ops.map((op) => (op.op === 'note-read' ? { ...op, instance: 'cached' } : op)),
      { cap: 3, cachedInstances: ['cached'], cacheStalenessMs: 2500 },
    );
    expect(onCache.counts.acknowledged).toBe(0);
    expect(onCache.staleCacheReads).toHaveLength(1);
  });

  it.each([
    ['another user', { userId: 'bob', sessionId: 's1' }],
    ['another session', { userId: 'alice', sessionId: 's9' }],
    ["another device's note", { userId: 'alice', sessionId: 's1', note: 'bob/b0/1' }],
  ])('isolation: an answer that names %s', (_label, observed) => {
    const result = checkHistory(
      history(signIn('a0', 'alice', 's1', 0), { ...me('a0', 'alice', 's1', 10), op: 'note-read', observed }),
      CAP,
    );
    expect(result.counts.isolation).toBe(1);
  });

  it('isolation: a sign-in answered with another user', () => {
    const result = checkHistory(history({ ...signIn('a0', 'alice', 's1', 0), observed: { userId: 'bob', sessionId: 's1' } }), CAP);
    expect(result.counts.isolation).toBe(1);
  });

  it('errors: a 500 and a hang are violations; a 503 and a restarting instance are not', () => {
    const result = checkHistory(
      history(
        signIn('a0', 'alice', 's1', 0),
        { ...me('a0', 'alice', 's1', 10), status: 500, outcome: 'error', observed: undefined },
        { ...me('a0', 'alice', 's1', 20), status: undefined, end: 10_020, outcome: 'timeout', observed: undefined },
        me('a0', 'alice', 's1', 30, 'unavailable'),
        { ...me('a0', 'alice', 's1', 40), status: undefined, outcome: 'down', observed: undefined },
      ),
      CAP,
    );
    expect(result.counts.errors).toBe(2);
    expect(result.violations.map((v) => v.message)).toEqual([expect.stringContaining('500'), expect.stringContaining('hung')]);
  });

  it('recovery: from each fault to the last failure it caused, before the next fault', () => {
    const ops = history(
      signIn('a0', 'alice', 's1', 0),
      me('a0', 'alice', 's1', 1000, 'unavailable'),
      me('a0', 'alice', 's1', 1500, 'unavailable'),
      me('a0', 'alice', 's1', 2000),
      me('a0', 'alice', 's1', 5000),
    );
    expect(
      recoveryTimes(
        [
          { kind: 'primary-kill', start: 900, end: 3000, detail: '' },
          { kind: 'client-kill', start: 4000, end: 4000, detail: '' },
        ],
        ops,
      ),
    ).toEqual([
      { kind: 'primary-kill', ms: 605 },
      { kind: 'client-kill', ms: 0 },
    ]);
  });
});
