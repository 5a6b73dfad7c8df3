import type { Cluster, Redis } from 'iovalkey';

/** A standalone/Sentinel (`Redis`) or Cluster client from iovalkey. */
export type ValkeyClient = Redis | Cluster;
