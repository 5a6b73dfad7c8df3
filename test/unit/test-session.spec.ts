import { getAxessSession, type AxessSession } from '../../src/index';
import { createTestSession } from '../../src/testing/index';

/** A controller method as an app writes it, tested as the README shows: no module, no store, no cast. */
function addToCart(session: AxessSession, item: string): { items: string[] } {
  const cart = (session.get('cart') as { items: string[] } | undefined) ?? { items: [] };
  cart.items.push(item);
  session.set('cart', cart);
  return cart;
}

describe('createTestSession (/testing)', () => {
  it('builds a signed-in session whose data the code under test reads and changes', () => {
    const session = createTestSession({ userId: 'alice', data: { cart: { items: ['pear'] } } });
    expect(session.isAuthenticated).toBe(true);
    expect(session.userId).toBe('alice');
    expect(session.changed).toBe(false);
    expect(addToCart(session, 'apple')).toEqual({ items: ['pear', 'apple'] });
    expect(session.get('cart')).toEqual({ items: ['pear', 'apple'] });
    expect(session.changed).toBe(true);
    expect(typeof session.id).toBe('string');
    expect(session.authenticatedAt).toEqual(session.createdAt);
  });

  it('builds an anonymous session, with the id and times given', () => {
    const createdAt = new Date('2026-01-01T00:00:00Z');
    const session = createTestSession({ id: 'fixed-id', createdAt });
    expect(session.isAuthenticated).toBe(false);
    expect(session.id).toBe('fixed-id');
    expect(session.createdAt).toEqual(createdAt);
    expect(session.authenticatedAt).toBeUndefined();
  });

  it("does not share the caller's data object", () => {
    const data = { n: 1 };
    const session = createTestSession({ data });
    session.set('n', 2);
    expect(data.n).toBe(1);
  });

  it('attaches to a request, for code that calls getAxessSession(req)', () => {
    const request = {};
    const session = createTestSession({ userId: 'bob', request });
    expect(getAxessSession(request)).toBe(session);
  });
});
