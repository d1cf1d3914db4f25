// A process's settings, read once from the environment and checked with zod: a wrong value
// stops start-up with the variable's name and what is wrong with it. The cloud itself comes
// from clouds.yaml / OS_* (see @imagecycle/openstack); secrets never pass through here.
import { DEFAULT_CATALOGUE_PATH } from '@imagecycle/series-catalogue';
import { z } from 'zod';

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .default('')
  .transform((value) => ['1', 'true', 'yes'].includes(value));
const seconds = (fallback: number) => z.coerce.number().nonnegative().default(fallback);

export const settingsSchema = z.object({
  REDIS_URL: z
    .string({ error: 'is not set (e.g. redis://127.0.0.1:6379)' })
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  /** Key prefix in Redis; for Redis Cluster use a hash tag such as {imagecycle}. */
  IMAGECYCLE_QUEUE_PREFIX: z.string().min(1).default('imagecycle'),
  IMAGECYCLE_CATALOGUE: z.string().min(1).default(DEFAULT_CATALOGUE_PATH),
  /** Shared by downloader and uploader (a ReadWriteMany volume in Kubernetes). */
  IMAGECYCLE_STAGING_DIR: z.string().min(1).default('/var/lib/imagecycle/staging'),
  IMAGECYCLE_REAP_SETTLE_SECONDS: seconds(600),
  IMAGECYCLE_REAP_DRY_RUN: flag,
  IMAGECYCLE_EVENTS_WEBHOOK: z.url().optional(),
  /** Turns off TLS verification of upstream feeds (never the default). */
  IMAGECYCLE_INSECURE_FEEDS: flag,
  /** How long a job's lock lasts: a dead worker's job is recovered after about this long. */
  IMAGECYCLE_JOB_LOCK_SECONDS: seconds(30),
  /** The first retry delay of a failed job (backoff doubles from it); unset: per queue. */
  IMAGECYCLE_RETRY_DELAY_SECONDS: z.coerce.number().positive().optional(),
  /** SIGTERM: how long active jobs may run before the process leaves them to another worker. */
  IMAGECYCLE_DRAIN_SECONDS: seconds(300),
  /** Jobs a worker runs at once, per queue, e.g. "download=2,upload=2". */
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
        result[queue] = n;
      }
      return result;
    }),
  /** A fixed "now" for usage checks and reaps: the demo and the fault tests move days. */
  IMAGECYCLE_FAKE_NOW: z.iso.datetime().optional(),
  /** The control plane's address (`imagecycle control-plane`, `imagecycle all`). */
  IMAGECYCLE_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  IMAGECYCLE_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
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
