import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AdapterName } from '../harness/http-app';
import { SAMPLE_FLOW_MAX_SESSIONS, sampleHttpFlow, type SampleUnderTest } from '../harness/sample-http.flow';
import { GRAPHQL_FLOW_MAX_SESSIONS, sampleGraphqlFlow } from '../harness/sample-graphql.flow';
import { sampleWebSocketFlow } from '../harness/sample-websocket.flow';
import { packPackage } from '../harness/packed-package';
import { testClient, testValkeyUrl } from '../harness/valkey';
import {
  NEST12_PACKAGES,
  prepareNest12SampleApp,
  startNest12Sample,
  type Nest12SampleApp,
  type Nest12SampleProcess,
} from './nest12-sample';

/**
 * The sample's e2e flow (test/e2e/sample-http.flow.ts, which test/e2e runs in process on Nest 11)
 * against the sample on NestJS 12 as an ES module app: the packed package and Nest 12 installed
 * into a throwaway `"type": "module"` app in the OS temp dir, sample/ as it is now compiled there
 * to ES modules, started with `node` as its own process, on Express and on Fastify, on the
 * suite's valkey-server. The process and the temp dir are removed afterwards, whatever happened.
 */

const STEP_TIMEOUT_MS = 240_000;
/** How long one start of the sample may take to listen (it is retried on a port taken meanwhile). */
const START_TIMEOUT_MS = 30_000;

/**
 * The sample reads no key prefix from its environment, so each adapter's run gets a database of
 * the suite's valkey-server to itself (the other tests use database 0 under their own prefixes).
 */
const DATABASE: Record<AdapterName, number> = { express: 14, fastify: 15 };

describe('the sample on NestJS 12 (ES modules) in its own process', () => {
  let work: string | undefined;
  let app: Nest12SampleApp;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'axess-nest12-sample-'));
    const { tarball } = await packPackage(work, STEP_TIMEOUT_MS);
    app = await prepareNest12SampleApp(join(work, 'app'), tarball, STEP_TIMEOUT_MS);
  }, 3 * STEP_TIMEOUT_MS);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe.each<AdapterName>(['express', 'fastify'])('on %s', (adapter) => {
    const spawned: Nest12SampleProcess[] = [];
    let sample: Nest12SampleProcess;
    let target: SampleUnderTest;

    async function withDatabase<T>(use: (client: ReturnType<typeof testClient>) => Promise<T>): Promise<T> {
      const client = testClient({ db: DATABASE[adapter] });
      try {
        return await use(client);
      } finally {
        await client.quit();
      }
    }

    beforeAll(async () => {
      if (!app) throw new Error('the Nest 12 app was not prepared: see the error of the outer beforeAll');
      const keys = await withDatabase((client) => client.dbsize());
      if (keys !== 0)
        throw new Error(`database ${DATABASE[adapter]} of the suite's valkey-server holds ${keys} keys: something else uses it`);
      const signingKey = randomBytes(32).toString('base64');
      const env = {
        VALKEY_URL: `${testValkeyUrl()}/${DATABASE[adapter]}`,
        FASTIFY: adapter === 'fastify' ? '1' : '0',
        MAX_SESSIONS: String(SAMPLE_FLOW_MAX_SESSIONS),
        AXESS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        AXESS_SIGNING_KEY: signingKey,
      };
      sample = await startNest12Sample(app, {
        env,
        loadLog: join(work!, `${adapter}-modules.log`),
        readyTimeoutMs: START_TIMEOUT_MS,
        spawned: (started) => spawned.push(started),
      });
      target = { url: sample.url, signingKey, backend: 'valkey' };
    }, 4 * START_TIMEOUT_MS);

    afterAll(async () => {
      for (const started of spawned) await started.stop();
      await withDatabase((client) => client.flushdb());
    });

    it("runs NestJS 12 and the packed package's ES module build (dist/esm) as ES modules, nothing from the repo", () => {
      const appUrl = `${pathToFileURL(app.dir).href}/`;
      const installed = (name: string) =>
        JSON.parse(readFileSync(join(app.dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
      expect(installed('@nestjs/core').version).toBe(NEST12_PACKAGES['@nestjs/core']);
      expect(installed('@nestjs/core').version).toMatch(/^12\./);

      const loaded = sample.loadedModules();
      const formatOf = (path: string) => loaded.find((m) => m.url === appUrl + path)?.format;
      expect(formatOf('dist/main.js')).toBe('module');
      expect(formatOf('dist/app.module.js')).toBe('module');
      expect(formatOf('node_modules/@nestjs/core/index.js')).toBe('module');
      expect(formatOf('node_modules/@nestjs/common/index.js')).toBe('module');
      expect(formatOf(`node_modules/@nestjs/platform-${adapter}/index.js`)).toBe('module');
      expect(formatOf('node_modules/@axess/nestjs-session/dist/esm/index.js')).toBe('module');
      expect(formatOf('node_modules/@axess/nestjs-session/dist/esm/testing/index.js')).toBe('module');

      // Every file of the sample and of the package ran as an ES module; the CommonJS build never loaded.
      const ours = loaded.filter((m) => m.url.startsWith(`${appUrl}dist/`) || m.url.startsWith(`${appUrl}node_modules/@axess/`));
      expect(ours.filter((m) => m.format !== 'module')).toEqual([]);
      expect(loaded.filter((m) => m.url.includes('/@axess/nestjs-session/dist/cjs/'))).toEqual([]);
      // Everything but Node's builtins came from the throwaway app (the repo's node_modules, src/ or sample/ never).
      expect(loaded.filter((m) => m.format !== 'builtin' && !m.url.startsWith(appUrl))).toEqual([]);
    });

    sampleHttpFlow(() => target);

    describe('POST /graphql (Apollo on Express, Mercurius on Fastify; @nestjs/graphql 14)', () => {
      it('runs with the cap the GraphQL flow is written for', () => {
        expect(GRAPHQL_FLOW_MAX_SESSIONS).toBe(SAMPLE_FLOW_MAX_SESSIONS);
      });
      sampleGraphqlFlow(() => target.url);
    });

    describe('GET /ws (AxessWsAdapter on @nestjs/platform-ws 12)', () => {
      sampleWebSocketFlow(() => ({ url: target.url }));
    });

    it('closes and exits with 0 on SIGTERM', async () => {
      expect(await sample.stop()).toEqual({ code: 0, signal: null });
    });
  });
});
