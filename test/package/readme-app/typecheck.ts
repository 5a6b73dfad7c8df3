// Compiled with the app (never run): the README's augmentation types session data.
import type { AxessSession } from '@axess/nestjs-session';

export function typed(session: AxessSession): string[] | undefined {
  // @ts-expect-error cart is declared as { items: string[] } in app.module.ts (the README's augmentation)
  session.set('cart', 42);
  session.set('cart', { items: ['ok'] });
  session.set('notDeclared', 42);
  return session.get('cart')?.items;
}
