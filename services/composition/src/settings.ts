// A process's settings, read once from the environment and checked with zod: a wrong value
// stops start-up with the variable's name and what is wrong with it. The cloud itself comes
// from clouds.yaml / OS_* (see @imagecycle/openstack); secrets never pass through here.
import { allQueues } from '@imagecycle/contracts';
import { DEFAULT_CATALOGUE_PATH } from '@imagecycle/series-catalogue';
import { z } from 'zod';

const QUEUE_NAMES: readonly string[] = allQueues.map((queue) => queue.name);

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .default('')
  .transform((value) => ['1', 'true', 'yes'].includes(value));
const seconds = (fallback: number) => z.coerce.number().nonnegative().default(fallback);

/** "host:port,host:port" (IPv6 as [::1]:26379): a list of Redis nodes. */
const hostPorts = z.string().transform((value, ctx) => {
  const nodes: { host: string; port: number }[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(part);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not host:port (e.g. 10.0.0.5:26379)` });
      return z.NEVER;
    }
    nodes.push({ host: (match[1] ?? match[2]) as string, port });
  }
  return nodes;
});

const fields = z.object({
  /** Redis is one of: REDIS_URL (standalone), IMAGECYCLE_REDIS_SENTINELS, IMAGECYCLE_REDIS_CLUSTER_NODES. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Sentinels that name the master (IMAGECYCLE_REDIS_SENTINEL_NAME), e.g. "10.0.0.5:26379,10.0.0.6:26379". */
  IMAGECYCLE_REDIS_SENTINELS: hostPorts.optional(),
  IMAGECYCLE_REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  /** Some nodes of a Redis Cluster (the others are discovered). */
  IMAGECYCLE_REDIS_CLUSTER_NODES: hostPorts.optional(),
  /** TLS to Sentinel and Cluster nodes (a standalone Redis takes a rediss:// URL instead). */
  IMAGECYCLE_REDIS_TLS: flag,
  /** Redis ACL user and password, in every mode (or, standalone, in REDIS_URL). */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** The sentinels' own password, when they require one. */
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** Key prefix in Redis; with Redis Cluster it must contain a hash tag such as {imagecycle}. */
  IMAGECYCLE_QUEUE_PREFIX: z.string().min(1).default('imagecycle'),
  IMAGECYCLE_CATALOGUE: z.string().min(1).default(DEFAULT_CATALOGUE_PATH),
  /** Shared by downloader and uploader (a ReadWriteMany volume in Kubernetes). */
  IMAGECYCLE_STAGING_DIR: z.string().min(1).default('/var/lib/imagecycle/staging'),
  IMAGECYCLE_REAP_SETTLE_SECONDS: seconds(600),
  IMAGECYCLE_REAP_DRY_RUN: flag,
  IMAGECYCLE_EVENTS_WEBHOOK: z.url().optional(),
  /**
   * The clouds.yaml entry of the account that writes the service project's images (uploader,
   * renamer, reaper, janitor). Unset: OS_CLOUD, as every cloud call did before the accounts
   * were split. (Not an OS_* name: openstacksdk reads every OS_* variable as a cloud setting.)
   */
  IMAGECYCLE_CLOUD_PUBLISH: z.string().min(1).optional(),
  /**
   * The entry of the read-only account that lists every project's servers and volumes and the
   * service project's images (usage-checker, the reaper's last check, feed-watcher, control
   * plane). It must be scoped to the same project as the publishing account. Unset: OS_CLOUD.
   */
  IMAGECYCLE_CLOUD_USAGE: z.string().min(1).optional(),
  /**
   * The clouds.yaml file holding each account's entry (secure.yaml beside it is read too),
   * e.g. one Kubernetes Secret mounted per account. Unset: OS_CLIENT_CONFIG_FILE, else the
   * usual search (./clouds.yaml, ~/.config/openstack, /etc/openstack).
   */
  IMAGECYCLE_CLOUD_PUBLISH_FILE: z.string().min(1).optional(),
  IMAGECYCLE_CLOUD_USAGE_FILE: z.string().min(1).optional(),
  /**
   * The roles Cinder's policy makes admin (`context_is_admin`): only for them does Cinder
   * honour all_tenants. A usage account without one of them scans incompletely and reaps
   * nothing. Comma-separated; default "admin".
   */
  IMAGECYCLE_CINDER_ADMIN_ROLES: z
    .string()
    .default('admin')
    .transform((value, ctx) => {
      const roles = value
        .split(',')
        .map((role) => role.trim())
        .filter(Boolean);
      if (roles.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'names no role (e.g. admin,usage-auditor)' });
        return z.NEVER;
      }
      return roles;
    }),
  /** Turns off TLS verification of upstream feeds (never the default). */
  IMAGECYCLE_INSECURE_FEEDS: flag,
  /** How long a job's lock lasts: a dead worker's job is recovered after about this long. */
  IMAGECYCLE_JOB_LOCK_SECONDS: z.coerce
    .number()
    .min(1, 'must be at least 1 second: a worker renews its lock every half of it')
    .default(30),
  /** The first retry delay of a failed job (backoff doubles from it); unset: per queue. */
  IMAGECYCLE_RETRY_DELAY_SECONDS: z.coerce.number().positive().optional(),
  /** SIGTERM: how long active jobs may run before the process leaves them to another worker. */
  IMAGECYCLE_DRAIN_SECONDS: seconds(300),
  /** Jobs a worker runs at once, per queue, e.g. "download=2,upload=2" (else each queue's own). */
  IMAGECYCLE_CONCURRENCY: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const result: Record<string, number> = {};
      for (const part of value.split(',').filter((p) => p.trim())) {
        const [queue, count] = part.split('=').map((p) => p.trim());
        const n = Number(count);
        if (!queue || !Number.isInteger(n) || n < 1) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not <queue>=<positive integer>` });
          return z.NEVER;
        }
        if (!QUEUE_NAMES.includes(queue)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${queue}" is not a queue; the queues are ${QUEUE_NAMES.join(', ')}`,
          });
          return z.NEVER;
        }
        result[queue] = n;
      }
      return result;
    }),
  /**
   * When the daily usage check runs (cron, in the catalogue's default time zone). The default
   * is two hours after the catalogue's default feed checks (04:00): the day's new Latest
   * images are in place by then.
   */
  IMAGECYCLE_USAGE_CHECK_CRON: z
    .string()
    .regex(/^\S+(\s+\S+){4,5}$/, 'must be a cron expression of 5 (or 6, with seconds) fields')
    .default('0 6 * * *'),
  /**
   * When the daily janitor runs (cron, the catalogue's default time zone): between the feed
   * checks (04:00 by default) and the usage check (06:00). It also runs at every start-up.
   */
  IMAGECYCLE_JANITOR_CRON: z
    .string()
    .regex(/^\S+(\s+\S+){4,5}$/, 'must be a cron expression of 5 (or 6, with seconds) fields')
    .default('0 5 * * *'),
  /**
   * How long an upload waits for its target's cloud while it is unreachable (no answer, or a
   * gateway's 502/503/504) before it gives up; meanwhile it uses up none of its attempts.
   */
  IMAGECYCLE_TARGET_OUTAGE_SECONDS: seconds(2 * 24 * 3600),
  /**
   * How often an upload waiting for an unreachable target asks again (unset: the first retry
   * delay, IMAGECYCLE_RETRY_DELAY_SECONDS, when set, else 300).
   */
  IMAGECYCLE_TARGET_RETRY_SECONDS: z.coerce.number().positive().optional(),
  /**
   * Uploads to one target at once, across every uploader: uploads to different targets run
   * side by side, each Glance takes at most this many. Default 2.
   */
  IMAGECYCLE_UPLOADS_PER_TARGET: z.coerce.number().int().min(1).default(2),
  /**
   * How long a series' targets may disagree on its Latest before a `targets-disagree` event
   * and imagecycle_targets_disagree say that one fell behind (several targets only).
   */
  IMAGECYCLE_TARGETS_DISAGREE_SECONDS: seconds(6 * 3600),
  /** A fixed "now" for usage checks and reaps: the demo and the fault tests move days. */
  IMAGECYCLE_FAKE_NOW: z.iso.datetime().optional(),
  /** The control plane's address (`imagecycle control-plane`, `imagecycle all`). */
  IMAGECYCLE_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  IMAGECYCLE_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** `imagecycle worker`: serve /healthz and /metrics on this port (unset: no listener). */
  IMAGECYCLE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Bull Board and the API: basic auth, or a bearer token (from a Secret). */
  IMAGECYCLE_BOARD_USER: z.string().min(1).optional(),
  IMAGECYCLE_BOARD_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  IMAGECYCLE_BOARD_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Bull Board may retry, promote and clean jobs (read-only otherwise). */
  IMAGECYCLE_BOARD_ACTIONS: flag,
  /** Development: the control plane may run without credentials, on loopback only. */
  IMAGECYCLE_DEV: flag,
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

/**
 * The hash tag of a Redis key: the text between its first "{" and the next "}", when not
 * empty. Redis Cluster hashes only that part, so keys with one tag share one slot.
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

function hasCredentials(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

const REDIS_MODES = [
  'REDIS_URL',
  'IMAGECYCLE_REDIS_SENTINELS',
  'IMAGECYCLE_REDIS_CLUSTER_NODES',
] as const;

const CHECKED_TOGETHER = new Set<PropertyKey>([
  ...REDIS_MODES,
  'IMAGECYCLE_REDIS_SENTINEL_NAME',
  'IMAGECYCLE_REDIS_TLS',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
  'IMAGECYCLE_QUEUE_PREFIX',
]);

/** Redis: exactly one mode, Sentinel with its master's name, Cluster with a hash-tagged prefix. */
export const settingsSchema = fields.superRefine(
  (settings, ctx) => {
    const issue = (variable: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [variable], message });
    const modes = REDIS_MODES.filter((name) => settings[name] !== undefined);
    if (modes.length === 0)
      issue(
        'REDIS_URL',
        'is not set (e.g. redis://127.0.0.1:6379); or set IMAGECYCLE_REDIS_SENTINELS and IMAGECYCLE_REDIS_SENTINEL_NAME (Sentinel), or IMAGECYCLE_REDIS_CLUSTER_NODES (Redis Cluster)',
      );
    for (const extra of modes.slice(1))
      issue(extra, `conflicts with ${modes[0]}: set exactly one of ${REDIS_MODES.join(', ')}`);
    const sentinel = settings.IMAGECYCLE_REDIS_SENTINELS !== undefined;
    if (sentinel && settings.IMAGECYCLE_REDIS_SENTINEL_NAME === undefined)
      issue(
        'IMAGECYCLE_REDIS_SENTINEL_NAME',
        'is not set: with IMAGECYCLE_REDIS_SENTINELS it names the master (e.g. mymaster)',
      );
    for (const name of ['IMAGECYCLE_REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const)
      if (!sentinel && settings[name] !== undefined)
        issue(name, 'is only used with IMAGECYCLE_REDIS_SENTINELS, which is not set');
    for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD'] as const)
      if (settings[name] !== undefined && hasCredentials(settings.REDIS_URL))
        issue(name, 'is set, and REDIS_URL has credentials too: give them in one place');
    if (settings.IMAGECYCLE_REDIS_TLS && settings.REDIS_URL !== undefined)
      issue(
        'IMAGECYCLE_REDIS_TLS',
        'is for Sentinel and Cluster; a standalone Redis takes a rediss:// REDIS_URL for TLS',
      );
    if (
      settings.IMAGECYCLE_REDIS_CLUSTER_NODES !== undefined &&
      hashTagOf(settings.IMAGECYCLE_QUEUE_PREFIX) === undefined
    )
      issue(
        'IMAGECYCLE_QUEUE_PREFIX',
        `"${settings.IMAGECYCLE_QUEUE_PREFIX}" has no hash tag: with Redis Cluster all keys of a queue must be in one slot, so the prefix needs a non-empty {...}, e.g. {imagecycle}`,
      );
  },
  // also when other variables are wrong (every wrong one is named), but not on values that failed
  {
    when: (payload) => !payload.issues.some((issue) => CHECKED_TOGETHER.has(issue.path?.[0] ?? '')),
  },
);

export type Settings = z.infer<typeof settingsSchema>;

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** The settings of this process; throws a SettingsError naming every wrong variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new SettingsError(`invalid settings in the environment:\n${lines.join('\n')}`);
}
