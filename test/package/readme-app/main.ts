// Boots the README's minimal app (app.module.ts, copied from README.md) with a feature module,
// drives it over HTTP like a client, prints what it saw after a marker line, and exits.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';

process.env.AXESS_ENCRYPTION_KEY = randomBytes(32).toString('hex'); // as `openssl rand -hex 32` prints it
process.env.AXESS_SIGNING_KEY = randomBytes(32).toString('hex');

async function main(): Promise<void> {
  const { RootModule } = await import('./root.module');
  const app = await NestFactory.create(RootModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const call = async (method: string, path: string, cookie?: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const pair = res.headers.getSetCookie().find((c) => c.startsWith('__Host-axess.sid='));
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, cookie: pair?.split(';')[0], setCookie: pair };
  };
  const login = (path: string, username: string) => call('POST', path, undefined, { username, password: `${username}-password` });

  const alice = await login('/login', 'alice');
  const seen = {
    loginStatus: alice.status,
    secureCookie: /;\s*Secure/i.test(alice.setCookie ?? ''),
    me: (await call('GET', '/me', alice.cookie)).body,
    wrongPassword: (await call('POST', '/login', undefined, { username: 'alice', password: 'nope' })).status,
    cart: (await call('POST', '/cart', alice.cookie, { item: 'apple' })).body,
    pushInPlace: (await call('POST', '/feature/cart/push', alice.cookie, { item: 'pear' })).status,
    cartAfterPush: (await call('GET', '/feature/cart', alice.cookie)).body,
    capFunction: {} as Record<string, number>,
  };
  // The cap function: root (an admin) keeps one session, carol up to five.
  const root1 = await login('/feature/login', 'root');
  const root2 = await login('/feature/login', 'root');
  const carol1 = await login('/feature/login', 'carol');
  const carol2 = await login('/feature/login', 'carol');
  seen.capFunction = {
    firstRoot: (await call('GET', '/me', root1.cookie)).status,
    secondRoot: (await call('GET', '/me', root2.cookie)).status,
    firstCarol: (await call('GET', '/me', carol1.cookie)).status,
    secondCarol: (await call('GET', '/me', carol2.cookie)).status,
  };
  await app.close();
  console.log('AXESS_README_APP', JSON.stringify(seen));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
