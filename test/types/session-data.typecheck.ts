/**
 * Compiled by `npm test` (its typecheck step), never run: each `@ts-expect-error` line must fail
 * to compile, so this file stops compiling when the typing of session data breaks.
 */
import type { AxessSession } from '@axess/nestjs-session';

declare module '@axess/nestjs-session' {
  interface AxessSessionData {
    typecheckCart: { items: string[] };
    typecheckVisits: number;
  }
}

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

export function typedSessionData(session: AxessSession): void {
  const cart = session.get('typecheckCart');
  assertType<Equal<typeof cart, { items: string[] } | undefined>>();
  cart?.items.push('x');

  assertType<Equal<ReturnType<typeof session.get<'typecheckVisits'>>, number | undefined>>();
  // Keys nobody declared stay usable, as unknown.
  assertType<Equal<ReturnType<typeof session.get<'somethingElse'>>, unknown>>();
  // A key known only at run time (typed string) reads as unknown too.
  assertType<Equal<ReturnType<typeof session.get<string>>, unknown>>();

  session.set('typecheckCart', { items: ['a'] });
  session.set('typecheckVisits', 3);
  session.set('somethingElse', { any: 'thing' });
  session.set('typecheckCart', undefined);

  // @ts-expect-error a declared key refuses a value of another type
  session.set('typecheckCart', 42);
  // @ts-expect-error the declared shape is checked deeply
  session.set('typecheckCart', { items: [1, 2] });
  // @ts-expect-error a number key refuses a string
  session.set('typecheckVisits', 'three');

  const data = session.data;
  assertType<Equal<typeof data.typecheckVisits, number | undefined>>();
  // @ts-expect-error the data view is read-only: keys change through set/delete/clear
  data.typecheckVisits = 4;
}
