import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
// The process launcher, not the public wrapper: global setup runs outside jest's module mapper,
// and only a file without relative `.js` imports loads there.
import { launchValkeyProcess, valkeyServerAvailable, type ValkeyProcess } from '../../src/testing/valkey-process';

declare global {
  var __AXESS_VALKEY__: ValkeyProcess | undefined;
}

/** Starts the suite's private valkey-server (installing it first where that is allowed). */
export default async function globalSetup(): Promise<void> {
  if (!valkeyServerAvailable()) {
    const canInstall = process.getuid?.() === 0 && existsSync('/etc/debian_version');
    if (!canInstall) {
      throw new Error(
        'valkey-server is not installed; the tests run against a real Valkey. Install it with ' +
          '`sudo bash scripts/install-valkey.sh` (Debian 12: bookworm-backports) or set VALKEY_SERVER to the binary.',
      );
    }
    console.log('\nvalkey-server is missing; installing it from Debian packages (scripts/install-valkey.sh)...');
    const result = spawnSync('bash', [join(__dirname, '../../scripts/install-valkey.sh')], { stdio: 'inherit' });
    if (result.status !== 0 || !valkeyServerAvailable()) throw new Error('Installing valkey-server failed; see the output above.');
  }
  const server = await launchValkeyProcess();
  globalThis.__AXESS_VALKEY__ = server;
  process.env.AXESS_TEST_VALKEY_URL = `redis://127.0.0.1:${server.port}`;
  process.env.AXESS_TEST_VALKEY_PORT = String(server.port);
}
