import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Cluster, type RedisOptions } from 'ioredis';
import type { AxessConnectionOptions } from '@axess/nestjs-session';

/** Bounds every throttler command, as the session module bounds its own (`commandTimeoutMs`). */
const COMMAND_TIMEOUT_MS = 2000;

/**
 * Where the sign-in throttle keeps its counts: on the same Valkey as the sessions (standalone,
 * Sentinel or Cluster), so that every instance of the app sees the same failures. Keys live
 * under `{prefix}:throttle:`, beside the sessions. The storage opens its own ioredis client
 * (it accepts ioredis clients or connection options, not iovalkey ones) and quits it when the
 * app shuts down. `undefined` for the in-memory fallback: the throttler's default in-memory
 * storage, per process, like the sessions then.
 */
export function signInThrottlerStorage(backend: AxessConnectionOptions | 'memory', prefix: string): ThrottlerStorage | undefined {
  if (backend === 'memory') return undefined;
  const { url, clusterNodes, clusterOptions, ...connection } = backend;
  const options: RedisOptions = { ...(connection as RedisOptions), keyPrefix: `${prefix}:throttle:`, commandTimeout: COMMAND_TIMEOUT_MS };
  if (clusterNodes) {
    const cluster = new Cluster(clusterNodes, {
      ...(clusterOptions as object),
      keyPrefix: options.keyPrefix,
      redisOptions: { ...options, keyPrefix: undefined },
    });
    const storage = new ThrottlerStorageRedisService(cluster);
    // A client given to the storage is not quit by it; this one is the sample's own.
    storage.disconnectRequired = true;
    return storage;
  }
  return url ? new ThrottlerStorageRedisService(url, options) : new ThrottlerStorageRedisService(options);
}
