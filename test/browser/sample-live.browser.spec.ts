import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AxessSessionService } from '../../src/internal';
import { launchChromium } from '../harness/chromium';
import { startSample, type RunningSample } from '../harness/sample-server';

const MAX_SESSIONS = 3;
const ARTIFACTS = join(__dirname, '../../test-artifacts');
const EVICTED = 'You were signed out because of a newer sign-in on another device.';
const REVOKED = 'This device was signed out.';

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

// The devices page keeps a WebSocket open (GET /ws): it learns of its own sign-out and of other
// devices at once, without a reload. A marker set on `window` proves no navigation happened.
describe.each(['express', 'fastify'] as const)('the live devices page in headless Chromium on %s', (adapter) => {
  let running: RunningSample;
  let origin: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    running = await startSample(adapter, MAX_SESSIONS);
    origin = `http://localhost:${running.port}`;
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await running?.close();
  });

  beforeEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    await running.sample.app.get(AxessSessionService).revokeAll('alice');
  });

  async function device(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    return context.newPage();
  }

  /** Signs alice in on `page` and waits until its devices page is live (its socket open). */
  async function signIn(page: Page): Promise<void> {
    await page.goto(`${origin}/`);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-password');
    await Promise.all([page.waitForURL(`${origin}/devices`), page.click('button[type=submit]')]);
    await page.locator('[data-testid=live][data-state=live]').waitFor({ state: 'attached' });
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
  }

  const notReloaded = (page: Page) => page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded === true);
  const rows = (page: Page) => page.locator('[data-testid=device]');

  it('another device signing in appears in the list without a reload', async () => {
    const laptop = await device();
    await signIn(laptop);
    expect(await rows(laptop).count()).toBe(1);
    await signIn(await device());
    await laptop.waitForFunction("document.querySelectorAll('[data-testid=device]').length === 2");
    expect(await notReloaded(laptop)).toBe(true);
    expect(await laptop.locator('[data-testid=this-device]').count()).toBe(1);
  });

  it('signed out from another device: the page says so at once, and its buttons are disabled', async () => {
    const laptop = await device();
    await signIn(laptop);
    const phone = await device();
    await signIn(phone);
    await Promise.all([phone.waitForURL(`${origin}/devices`), phone.click('[data-testid=revoke-others]')]);

    await laptop.locator('[data-testid=live-notice]').waitFor({ state: 'visible' });
    expect(await laptop.locator('[data-testid=live-notice]').textContent()).toBe(REVOKED);
    expect(await notReloaded(laptop)).toBe(true);
    expect(await laptop.locator('[data-testid=live][data-state=signed-out]').count()).toBe(1);
    expect(await laptop.locator('button:not([disabled])').count()).toBe(0);
    expect(await laptop.locator('[data-testid=sign-in-again]').isVisible()).toBe(true);
    await laptop.screenshot({ path: join(ARTIFACTS, `live-signed-out-${adapter}.png`), fullPage: true });
    // The phone's own list no longer shows the laptop.
    expect(await rows(phone).count()).toBe(1);
  });

  it('evicted by a newer sign-in beyond the cap: the oldest device says why, without a reload', async () => {
    const oldest = await device();
    await signIn(oldest);
    for (let i = 0; i < MAX_SESSIONS; i++) await signIn(await device());
    await oldest.locator('[data-testid=live-notice]').waitFor({ state: 'visible' });
    expect(await oldest.locator('[data-testid=live-notice]').textContent()).toBe(EVICTED);
    expect(await notReloaded(oldest)).toBe(true);
  });
});
