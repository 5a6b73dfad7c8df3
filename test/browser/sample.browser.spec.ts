import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AxessSessionService } from '../../src/internal';
import { startSample, type RunningSample } from '../harness/sample-server';
import { launchChromium } from '../harness/chromium';

const MAX_SESSIONS = 3;
const ROOT = join(__dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
/** Set to refresh the README's screenshot from this run. */
const UPDATE_DOCS = process.env.AXESS_UPDATE_DOCS_SCREENSHOT === '1';

/** Realistic user agents, so the devices page shows distinct devices. */
const DEVICES = {
  laptop: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  phone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  tablet: 'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
};

const EVICTED = 'You were signed out because of a newer sign-in on another device.';
const REVOKED = 'This device was signed out.';

/** A tiny server on another origin whose page auto-submits a form to `target` on load. */
async function startAttacker(target: string): Promise<{ port: number; close(): Promise<void> }> {
  const page = `<!doctype html><title>win a prize</title>
<form id="f" method="post" action="${target}"><input type="hidden" name="_csrf" value="guessed"></form>
<script>document.getElementById('f').submit()</script>`;
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

// Each adapter, without and with the local session cache (AXESS_LOCAL_CACHE=1): the same pages, the same sign-outs.
const MATRIX = [
  ['express', 'no cache'],
  ['express', 'local cache'],
  ['fastify', 'no cache'],
  ['fastify', 'local cache'],
] as const;

describe.each(MATRIX)('the sample in headless Chromium on %s (%s)', (adapter, cache) => {
  const variant = cache === 'local cache' ? `${adapter}-cache` : adapter;
  let running: RunningSample;
  /** `localhost`, where browsers accept Secure cookies over http. */
  let origin: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    running = await startSample(adapter, MAX_SESSIONS, { localCache: cache === 'local cache' });
    origin = `http://localhost:${running.port}`;
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await running?.close();
  });

  beforeEach(async () => {
    // Each test starts with no sessions, whatever the previous one left.
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    const sessions = running.sample.app.get(AxessSessionService);
    await Promise.all(['alice', 'bob'].map((user) => sessions.revokeAll(user)));
  });

  /** A new browser profile: its own cookie jar, as a separate device. */
  async function device(userAgent: string): Promise<Page> {
    const context = await browser.newContext({ userAgent, viewport: { width: 1000, height: 620 } });
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    return context.newPage();
  }

  const sessionCookie = async (page: Page) => (await page.context().cookies(origin)).find((c) => c.name === '__Host-axess.sid');
  const signInCookie = async (page: Page) => (await page.context().cookies(origin)).find((c) => c.name === '__Host-axess.signin');

  async function signIn(page: Page, username = 'alice'): Promise<void> {
    await page.goto(`${origin}/`);
    await page.fill('#username', username);
    await page.fill('#password', `${username}-password`);
    await Promise.all([page.waitForURL(`${origin}/devices`), page.click('button[type=submit]')]);
  }

  const rows = (page: Page) => page.locator('[data-testid=device]');

  async function expectSignInForm(page: Page, reason: string): Promise<void> {
    await expect(page.locator('[data-testid=sign-in-form]').isVisible()).resolves.toBe(true);
    expect(await page.locator('[data-testid=ended-reason]').textContent()).toBe(reason);
  }

  it('sign in: the devices page marks this device; the cookie is HttpOnly, SameSite=Lax and Secure, and no session exists before sign-in', async () => {
    const page = await device(DEVICES.laptop);
    await page.goto(`${origin}/`);
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    await page.screenshot({ path: join(ARTIFACTS, `sign-in-${variant}.png`), fullPage: true });
    // The sign-in form's CSRF token is stateless: no session yet, only the short-lived
    // __Host- sign-in cookie, which the browser accepts from http://localhost.
    expect(await sessionCookie(page)).toBeUndefined();
    expect(await signInCookie(page)).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: true, path: '/' });

    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-password');
    await Promise.all([page.waitForURL(`${origin}/devices`), page.click('button[type=submit]')]);

    const signedIn = await sessionCookie(page);
    // __Host-axess.sid, accepted from http://localhost; a browser-session cookie (no expiry).
    expect(signedIn).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: true, path: '/', expires: -1 });
    // The sign-in cookie has done its job.
    expect(await signInCookie(page)).toBeUndefined();
    // HttpOnly as the page's own scripts see it.
    expect(await page.evaluate('document.cookie')).not.toContain('axess.sid');

    expect(await page.locator('[data-testid=user]').textContent()).toBe('alice');
    expect(await rows(page).count()).toBe(1);
    const current = rows(page).filter({ has: page.locator('[data-testid=this-device]') });
    expect(await current.count()).toBe(1);
    expect(await current.locator('[data-testid=user-agent]').textContent()).toBe(DEVICES.laptop);
    expect(await current.getAttribute('data-current')).toBe('true');
  });

  it('"Keep me signed in" makes the session cookie persistent (30 days) and the session works on', async () => {
    const page = await device(DEVICES.laptop);
    await page.goto(`${origin}/`);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-password');
    await page.check('#remember-me');
    await Promise.all([page.waitForURL(`${origin}/devices`), page.click('button[type=submit]')]);
    const remembered = await sessionCookie(page);
    expect(remembered).toMatchObject({ httpOnly: true, secure: true, path: '/' });
    expect(remembered!.expires).toBeGreaterThan(Date.now() / 1000 + 30 * 86_400 - 120);
    await page.goto(`${origin}/devices`);
    expect(await page.locator('[data-testid=user]').textContent()).toBe('alice');
  });

  it('a wrong password shows the form again with an error, and no signed-in cookie', async () => {
    const page = await device(DEVICES.laptop);
    await page.goto(`${origin}/`);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'not-her-password');
    await Promise.all([page.waitForURL(`${origin}/signin`), page.click('button[type=submit]')]);
    expect(await page.locator('[data-testid=sign-in-error]').textContent()).toBe('Invalid username or password.');
    expect(await page.inputValue('#username')).toBe('alice');
    expect(await sessionCookie(page)).toBeUndefined();
    // The form shown again works: the right password signs in from it.
    await page.fill('#password', 'alice-password');
    await Promise.all([page.waitForURL(`${origin}/devices`), page.click('button[type=submit]')]);
    expect(await page.locator('[data-testid=user]').textContent()).toBe('alice');
  });

  it('cap 3: three more sign-ins evict the first device, whose next navigation shows why and the sign-in form', async () => {
    const first = await device(DEVICES.desktop);
    await signIn(first);
    const later = [await device(DEVICES.phone), await device(DEVICES.tablet), await device(DEVICES.laptop)];
    for (const page of later) await signIn(page);

    const newest = later[2];
    await newest.reload();
    expect(await rows(newest).count()).toBe(MAX_SESSIONS);
    expect(await rows(newest).locator('[data-testid=user-agent]').allTextContents()).toEqual([
      DEVICES.phone,
      DEVICES.tablet,
      DEVICES.laptop,
    ]);
    expect(await rows(newest).locator('[data-testid=device-label]').allTextContents()).toEqual([
      'Safari on iPhone',
      'Safari on iPad',
      'Chrome on Linux',
    ]);
    expect(await rows(newest).locator('[data-testid=this-device]').count()).toBe(1);
    const shot = join(ARTIFACTS, `devices-${variant}.png`);
    await newest.screenshot({ path: shot, fullPage: true });
    if (UPDATE_DOCS && variant === 'express') copyFileSync(shot, join(ROOT, 'docs/devices.png'));

    await first.reload();
    await expectSignInForm(first, EVICTED);
    await first.screenshot({ path: join(ARTIFACTS, `signed-out-${variant}.png`), fullPage: true });
    // The others are still signed in.
    for (const page of later.slice(0, 2)) {
      await page.reload();
      expect(await rows(page).count()).toBe(MAX_SESSIONS);
    }
  });

  it('"sign out all other devices" from one device: the others land on the sign-in form with the reason', async () => {
    const others = [await device(DEVICES.phone), await device(DEVICES.tablet)];
    for (const page of others) await signIn(page);
    const keeper = await device(DEVICES.laptop);
    await signIn(keeper);
    expect(await rows(keeper).count()).toBe(3);

    await Promise.all([keeper.waitForURL(`${origin}/devices`), keeper.click('[data-testid=revoke-others]')]);
    expect(await rows(keeper).count()).toBe(1);
    expect(await rows(keeper).locator('[data-testid=this-device]').count()).toBe(1);

    for (const page of others) {
      await page.reload();
      await expectSignInForm(page, REVOKED);
    }
  });

  it('"sign out" on another device\'s row signs out that device only', async () => {
    const phone = await device(DEVICES.phone);
    await signIn(phone);
    const laptop = await device(DEVICES.laptop);
    await signIn(laptop);
    const phoneRow = rows(laptop).filter({ hasText: DEVICES.phone });
    await Promise.all([laptop.waitForURL(`${origin}/devices`), phoneRow.locator('[data-testid=revoke]').click()]);
    expect(await rows(laptop).count()).toBe(1);
    await phone.goto(`${origin}/`);
    await expectSignInForm(phone, REVOKED);
  });

  it('"sign out everywhere" ends every session; this device gets a plain sign-in form', async () => {
    const phone = await device(DEVICES.phone);
    await signIn(phone);
    const laptop = await device(DEVICES.laptop);
    await signIn(laptop);
    await Promise.all([laptop.waitForURL(`${origin}/`), laptop.click('[data-testid=sign-out-everywhere]')]);
    expect(await laptop.locator('[data-testid=sign-in-form]').isVisible()).toBe(true);
    expect(await laptop.locator('[data-testid=ended-reason]').count()).toBe(0);
    await phone.reload();
    await expectSignInForm(phone, REVOKED);
  });

  it.each([
    ['cross-site (127.0.0.1: the Lax cookie is not sent)', '127.0.0.1'],
    ['same-site, cross-origin (localhost on another port: the cookie is sent, the Origin check refuses)', 'localhost'],
  ])('a form auto-posted from another origin, %s, revokes nothing', async (_label, attackerHost) => {
    const other = await device(DEVICES.phone);
    await signIn(other);
    const victim = await device(DEVICES.laptop);
    await signIn(victim);
    const attacker = await startAttacker(`${origin}/devices/revoke-others`);
    try {
      await Promise.all([
        victim.waitForURL((url) => url.port === String(running.port)),
        victim.goto(`http://${attackerHost}:${attacker.port}/`),
      ]);
      await victim.waitForLoadState('load');
      if (attackerHost === 'localhost') {
        // The post reached the app with the session cookie and was refused by the CSRF guard.
        expect(await victim.locator('[data-testid=form-rejected]').isVisible()).toBe(true);
      }
    } finally {
      await attacker.close();
    }
    for (const page of [other, victim]) {
      await page.goto(`${origin}/devices`);
      expect(await rows(page).count()).toBe(2);
    }
  });

  it('a hostile user agent is shown as text on the devices page, never run as markup', async () => {
    const hostile = '<img src=x onerror="document.title=\'pwned\'"><b>bold</b>';
    await signIn(await device(hostile), 'bob');
    const viewer = await device(DEVICES.laptop);
    await signIn(viewer, 'bob');
    const texts = await rows(viewer).locator('[data-testid=user-agent]').allTextContents();
    expect(texts).toContain(hostile);
    expect(await viewer.locator('main img, main b:text("bold")').count()).toBe(0);
    expect(await viewer.title()).toBe('Your devices · axess sample');
  });
});
