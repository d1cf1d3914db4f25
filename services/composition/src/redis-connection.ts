// How a process connects to Redis, in the one mode its settings chose: a standalone server
// (REDIS_URL), the master that Sentinel names, or a Redis Cluster. `client` serves the
// process's own commands (events stream, feed cache, readiness); `queueConnection` is what
// BullMQ gets. Every connection waits for Redis instead of failing a command
// (maxRetriesPerRequest: null, which BullMQ's workers require). Passwords go to ioredis only:
// `describeRedis` is what may be logged.
import type { RuntimeOptions } from '@imagecycle/queues';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Settings } from './settings.ts';

export type RedisClient = Redis | Cluster;
export type RedisMode = 'standalone' | 'sentinel' | 'cluster';

export type RedisSettings = Pick<
  Settings,
  | 'REDIS_URL'
  | 'IMAGECYCLE_REDIS_SENTINELS'
  | 'IMAGECYCLE_REDIS_SENTINEL_NAME'
  | 'IMAGECYCLE_REDIS_CLUSTER_NODES'
  | 'IMAGECYCLE_REDIS_TLS'
  | 'REDIS_USERNAME'
  | 'REDIS_PASSWORD'
  | 'REDIS_SENTINEL_PASSWORD'
>;

export interface RedisConnection {
  mode: RedisMode;
  client: RedisClient;
  /**
   * Standalone and Sentinel: options, from which BullMQ opens each queue's and worker's own
   * connections. Cluster: `client` itself, since BullMQ builds no Cluster from options;
   * queues share it and each worker duplicates it for its blocking connection.
   */
  queueConnection: RuntimeOptions['connection'];
}

/** The mode the (validated) settings name; they allow exactly one. */
export function redisMode(settings: RedisSettings): RedisMode {
  if (settings.IMAGECYCLE_REDIS_CLUSTER_NODES) return 'cluster';
  if (settings.IMAGECYCLE_REDIS_SENTINELS) return 'sentinel';
  return 'standalone';
}

export function connectRedis(settings: RedisSettings): RedisConnection {
  const common: RedisOptions = {
    maxRetriesPerRequest: null,
    ...(settings.REDIS_USERNAME ? { username: settings.REDIS_USERNAME } : {}),
    ...(settings.REDIS_PASSWORD ? { password: settings.REDIS_PASSWORD } : {}),
  };
  const mode = redisMode(settings);
  if (mode === 'cluster') {
    const client = new Cluster(settings.IMAGECYCLE_REDIS_CLUSTER_NODES ?? [], {
      redisOptions: { ...common, ...(settings.IMAGECYCLE_REDIS_TLS ? { tls: {} } : {}) },
    });
    return { mode, client, queueConnection: client };
  }
  if (mode === 'sentinel') {
    const options: RedisOptions = {
      ...common,
      sentinels: settings.IMAGECYCLE_REDIS_SENTINELS ?? [],
      name: settings.IMAGECYCLE_REDIS_SENTINEL_NAME ?? '',
      ...(settings.REDIS_SENTINEL_PASSWORD
        ? { sentinelPassword: settings.REDIS_SENTINEL_PASSWORD }
        : {}),
      ...(settings.IMAGECYCLE_REDIS_TLS
        ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true }
        : {}),
    };
    return { mode, client: new Redis(options), queueConnection: options };
  }
  const url = settings.REDIS_URL ?? '';
  return { mode, client: new Redis(url, common), queueConnection: { url, ...common } };
}

/** Where Redis is, for a log line: never a password (one in REDIS_URL is masked). */
export function describeRedis(settings: RedisSettings): string {
  const tls = settings.IMAGECYCLE_REDIS_TLS ? ' (TLS)' : '';
  const list = (nodes: readonly { host: string; port: number }[] = []) =>
    nodes.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`));
  const mode = redisMode(settings);
  if (mode === 'cluster')
    return `Redis Cluster ${list(settings.IMAGECYCLE_REDIS_CLUSTER_NODES).join(',')}${tls}`;
  if (mode === 'sentinel')
    return `Redis master "${settings.IMAGECYCLE_REDIS_SENTINEL_NAME}" via Sentinel ${list(settings.IMAGECYCLE_REDIS_SENTINELS).join(',')}${tls}`;
  try {
    const url = new URL(settings.REDIS_URL ?? '');
    if (url.password) url.password = '***';
    return `Redis ${url.href}`;
  } catch {
    return 'Redis (REDIS_URL is not a valid URL)';
  }
}
