import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium package, or AXESS_CHROMIUM. No browser is ever downloaded. */
export const CHROMIUM_PATH = process.env.AXESS_CHROMIUM || '/usr/bin/chromium';

/**
 * Flags for a closed network: without the background-networking ones Chromium keeps trying to
 * reach Google's hosts. `--headless` and a fresh, empty user data dir come from playwright's launch.
 */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium, or fails saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed (${CHROMIUM_PATH} is missing). The browser tests drive Debian's chromium package ` +
        'with playwright-core and never download a browser. Install it with `sudo bash scripts/install-chromium.sh` ' +
        '(or `sudo apt-get install -y chromium`), or set AXESS_CHROMIUM to a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
}
