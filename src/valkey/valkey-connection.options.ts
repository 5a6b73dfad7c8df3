import type { ClusterNode, ClusterOptions, RedisOptions, SentinelAddress } from 'iovalkey';
import { AxessOptionsError } from '../errors/axess-options.error.js';

/** Connection options for a client the module creates and quits on shutdown. */
export interface AxessConnectionOptions extends RedisOptions {
  /** `redis://` / `rediss://` / `valkey://` URL; other fields override its parts. */
  url?: string;
  /** Cluster seed nodes: the module creates an iovalkey `Cluster`. */
  clusterNodes?: ClusterNode[];
  /** Options of the `Cluster` client when `clusterNodes` is set. */
  clusterOptions?: ClusterOptions;
  /** Sentinel addresses (with `name`): the module connects to the primary they report. */
  sentinels?: Array<Partial<SentinelAddress>>;
}

/**
 * Throws `AxessOptionsError('connection')` unless `options.url` (when set) parses the way the
 * client will parse it. The message never repeats the URL: it may carry a password, and the
 * error ends up in the boot log.
 */
export function assertConnectionOptions(options: unknown): asserts options is AxessConnectionOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new AxessOptionsError('connection', 'must be an object such as { url: "redis://host:port" }.');
  }
  const { url } = options as { url?: unknown };
  if (url === undefined) return;
  if (typeof url !== 'string' || url.trim().length === 0) {
    throw new AxessOptionsError('connection', 'url must be a non-empty string such as "redis://host:port".');
  }
  // Port numbers and unix socket paths are what the client accepts besides URLs.
  if (/^\d+$/.test(url) || url.startsWith('/')) return;
  const withScheme = /^[a-z][a-z\d+.-]*:\/\//i.test(url) ? url : `redis://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    // The parser's error echoes its input: it is dropped, not kept as a cause.
    throw new AxessOptionsError(
      'connection',
      'url does not parse: expected redis://[user:password@]host[:port][/db] (or rediss://, valkey://); ' +
        'percent-encode special characters in the password.',
    );
  }
  if (!/^(redis|rediss|valkey|valkeys):$/.test(parsed.protocol)) {
    throw new AxessOptionsError('connection', 'url must use the redis://, rediss://, valkey:// or valkeys:// scheme.');
  }
}
