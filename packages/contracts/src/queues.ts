// Every stage's queue, declared once: name, payload schema, default job options, how many jobs
// one worker runs at once (IMAGECYCLE_CONCURRENCY overrides it), job id.
// Deterministic ids keep one job per unit of work: enqueueing it again is a no-op while
// the job is queued, running, or completed less than a day ago (which covers the gap
// between a finished download and the candidate image the uploader creates), and retries it
// when it failed. After that, Glance - the source of truth - says whether the work is done.
import { defineQueue, jobIdFrom } from '@imagecycle/queues';
import { z } from 'zod';
import { DISK_FORMATS, releaseSchema } from './release.ts';

/**
 * How long finished jobs stay in Redis, per queue. A job that failed for good stays 30 days
 * (Bull Board, `imagecycle run --wait`: "why was this rejected?"), however many jobs complete
 * after it; completed jobs are a day's history. Both are bounded in number too, so a queue
 * failing in a loop cannot fill Redis. A failed job with a deterministic id does not block
 * the same work for those 30 days: enqueueing it again retries it (QueueRuntime.enqueue).
 */
export const JOB_HISTORY = {
  completed: { age: 24 * 3600, count: 1000 },
  failed: { age: 30 * 24 * 3600, count: 5000 },
} as const;

/**
 * The name of the one target of a deployment that names none: its jobs, ids and Redis keys
 * are those of a deployment from before targets existed.
 */
export const DEFAULT_TARGET = 'default';

/** The target a job works on (absent: the single target of a deployment that names none). */
const targetField = z.string().min(1).default(DEFAULT_TARGET);

/** A job id's parts, with the target's name unless it is the default target. */
const withTarget = (target: string, ...parts: string[]): string =>
  target === DEFAULT_TARGET ? jobIdFrom(...parts) : jobIdFrom(...parts, target);

const retried = (attempts: number, delayMs: number) => ({
  attempts,
  backoff: { type: 'exponential', delay: delayMs },
  removeOnComplete: { ...JOB_HISTORY.completed },
  removeOnFail: { ...JOB_HISTORY.failed },
});

export const feedCheckQueue = defineQueue({
  name: 'feed-check',
  concurrency: 4,
  description: 'Check one series upstream for a new release',
  payload: z.object({
    series: z.string().min(1),
    trigger: z.enum(['schedule', 'manual']).default('manual'),
  }),
  defaultJobOptions: retried(3, 30_000),
});

export const downloadQueue = defineQueue({
  name: 'download',
  concurrency: 2,
  description: 'Fetch, verify and decompress one release into staging',
  payload: z.object({ release: releaseSchema }),
  defaultJobOptions: retried(5, 60_000),
  jobId: ({ release }) => jobIdFrom('download', release.series, release.version),
});

export const artifactSchema = z.object({
  /** Path in staging, derived from series and version. */
  path: z.string().min(1),
  size: z.number().int().positive(),
  /**
   * SHA-512 of the disk image, when the downloader computed it (decompressed releases, or an
   * upstream that publishes SHA-512). Otherwise the uploader hashes the bytes as it sends
   * them and checks them against the upstream checksum instead.
   */
  sha512: z
    .string()
    .regex(/^[0-9a-f]{128}$/)
    .optional(),
  /** The upstream's checksum of the disk image file itself (uncompressed releases). */
  upstreamChecksum: z
    .object({ algorithm: z.enum(['sha256', 'sha512']), value: z.string().regex(/^[0-9a-f]+$/) })
    .optional(),
  diskFormat: z.enum(DISK_FORMATS),
  virtualSize: z.number().int().positive(),
});

export type Artifact = z.infer<typeof artifactSchema>;

/**
 * The id of the upload job of one release to one target: one upload per series, version and
 * target (the janitor also asks by it whether a candidate's upload is still to run or running).
 */
export const uploadJobId = (series: string, version: string, target = DEFAULT_TARGET): string =>
  withTarget(target, 'upload', series, version);

export const uploadQueue = defineQueue({
  name: 'upload',
  concurrency: 2,
  description: 'Publish one verified artifact to one target as a hidden candidate image',
  payload: z.object({
    release: releaseSchema,
    /**
     * What the downloader verified. Absent in an upload enqueued while the download is still
     * running (overlapped): it follows the staged file and takes the artifact from the
     * staging marker once there.
     */
    artifact: artifactSchema.optional(),
    target: targetField,
  }),
  defaultJobOptions: retried(5, 60_000),
  jobId: ({ release, target }) => uploadJobId(release.series, release.version, target),
});

export const reconcileQueue = defineQueue({
  name: 'reconcile',
  concurrency: 4,
  description: 'Converge the names and visibility of one series in one target',
  payload: z.object({
    series: z.string().min(1),
    reason: z.string().default('requested'),
    target: targetField,
  }),
  defaultJobOptions: retried(5, 10_000),
});

export const usageCheckQueue = defineQueue({
  name: 'usage-check',
  concurrency: 1,
  description:
    "One pass over every server and volume of a target's regions; mark its community images used or unused",
  payload: z.object({
    trigger: z.enum(['schedule', 'manual']).default('manual'),
    /** Only these series' community images (all when absent); the scan is always whole. */
    series: z.array(z.string().min(1)).optional(),
    target: targetField,
  }),
  defaultJobOptions: retried(3, 60_000),
});

export const reapQueue = defineQueue({
  name: 'reap',
  concurrency: 4,
  description: 'Delete one unused community image by the guarded protocol',
  payload: z.object({ series: z.string().min(1), imageId: z.uuid(), target: targetField }),
  defaultJobOptions: retried(3, 60_000),
  jobId: ({ imageId, target }) => withTarget(target, 'reap', imageId),
});

export const janitorQueue = defineQueue({
  name: 'janitor',
  concurrency: 1,
  description:
    'Reconcile every series (or the named ones) with Glance: names, dead candidates, stranded reaps, staging',
  payload: z.object({
    trigger: z.enum(['schedule', 'manual', 'startup']).default('manual'),
    /** Only these series (all when absent); staging is tidied only in a run over all. */
    series: z.array(z.string().min(1)).optional(),
    target: targetField,
  }),
  defaultJobOptions: retried(3, 60_000),
});

/** Every queue of the system, in pipeline order. */
export const allQueues = [
  feedCheckQueue,
  downloadQueue,
  uploadQueue,
  reconcileQueue,
  usageCheckQueue,
  reapQueue,
  janitorQueue,
] as const;
