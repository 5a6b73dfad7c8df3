import { randomBytes } from 'node:crypto';
import { Redis } from 'iovalkey';
import { luaScript, runLuaScript } from '../../src/valkey/lua-script';
import { startValkeyServer } from '../../src/testing';
import { uniquePrefix } from '../harness/valkey';
import { withTestClient } from '../harness/valkey-hooks';

/** A script no server has cached yet (its source is unique), so its first run meets NOSCRIPT. */
const freshScript = (body: string) => luaScript(`-- ${randomBytes(8).toString('hex')}\n${body}`);

describe('runLuaScript (real valkey-server)', () => {
  const valkey = withTestClient('each');

  it('passes exactly one key and the arguments, loading the script on NOSCRIPT then reusing it', async () => {
    const script = freshScript(`redis.call('SET', KEYS[1], ARGV[1]); return {#KEYS, KEYS[1], redis.call('GET', KEYS[1]), #ARGV}`);
    const key = `${uniquePrefix()}:k`;
    expect(Number(await valkey.client.script('EXISTS', script.sha1).then((r) => (r as number[])[0]))).toBe(0);
    expect(await runLuaScript(valkey.client, script, key, ['v1', 2], 'test')).toEqual([1, key, 'v1', 2]);
    // The fallback EVAL cached it: the next call runs by hash alone.
    expect(Number(await valkey.client.script('EXISTS', script.sha1).then((r) => (r as number[])[0]))).toBe(1);
    expect(await runLuaScript(valkey.client, script, key, ['v2', 3], 'test')).toEqual([1, key, 'v2', 2]);
  });

  it('leaves the client as it was: no defineCommand, no script registry entries', async () => {
    const script = freshScript('return 1');
    await runLuaScript(valkey.client, script, `${uniquePrefix()}:k`, [], 'test');
    expect(Object.keys(valkey.client.scriptsSet)).toEqual([]);
    expect(valkey.client.addedBuiltinSet.size).toBe(0);
  });

  it('maps an error reply to SessionStoreError of kind command, keeping the cause', async () => {
    const script = freshScript(`return redis.error_reply('boom')`);
    const error = await runLuaScript(valkey.client, script, `${uniquePrefix()}:k`, [], 'probe').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SessionStoreError', kind: 'command', message: expect.stringContaining('Valkey probe failed') });
    expect((error as Error).cause).toMatchObject({ name: 'ReplyError' });
  });

  it('maps an unreachable server to SessionStoreError of kind connection', async () => {
    const server = await startValkeyServer();
    await server.stop();
    const offline = new Redis(server.port, '127.0.0.1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    offline.on('error', () => undefined);
    try {
      await expect(runLuaScript(offline, freshScript('return 1'), 'k', [], 'probe')).rejects.toMatchObject({
        name: 'SessionStoreError',
        kind: 'connection',
      });
    } finally {
      offline.disconnect();
    }
  });
});
