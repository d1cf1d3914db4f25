// The feed-watcher assembled: the feed-check handler over the catalogue, the fetcher, the
// series' trust anchors, the record of what each series has published and the download
// queue; and its daily schedules. It uses no cloud account.
import {
  downloadQueue,
  feedCheckQueue,
  type Release,
  uploadJobId,
  uploadQueue,
} from '@imagecycle/contracts';
import type { Logger, Metrics } from '@imagecycle/observability';
import type { PublishedVersions } from '@imagecycle/lifecycle';
import type { HandlerContext, QueueRuntime } from '@imagecycle/queues';
import type { Catalogue, Series } from '@imagecycle/series-catalogue';
import { KeyringFiles, type TrustAnchor } from '@imagecycle/trust';
import { type CheckOutcome, checkSeries } from './check-series.ts';
import type { DocumentFetcher } from './document-fetcher.ts';
import { readNewestRelease } from './read-feed.ts';
import { ReleaseRejected } from './rejection.ts';
import { MemorySignedSeries, readOnly, type SignedSeries } from './signed-series.ts';

export const SCHEDULE_PREFIX = 'feed-check--';

export interface FeedWatcherOptions {
  catalogue: Catalogue;
  fetcher: DocumentFetcher;
  /**
   * What each series has published, as the renamer and the janitor last recorded it
   * (PublishedRecords in a deployment); undefined when nothing is recorded.
   */
  published(series: string): Promise<PublishedVersions | undefined>;
  runtime: QueueRuntime;
  logger: Logger;
  metrics: Metrics;
  /**
   * Which series were seen signed (RedisSignedSeries in a deployment: it must outlive the
   * process). Default: in memory, for one-off runs and tests.
   */
  signedSeries?: SignedSeries;
  /** The clock release dates are judged by (default: the system's). */
  now?: () => Date;
  /** How many days ahead of now a release may be dated (default 2). */
  futureToleranceDays?: number;
}

export type FeedCheckResult =
  | (CheckOutcome & { /** The newest upstream release's build date. */ buildDate?: string })
  | {
      series: string;
      outcome: 'rejected';
      reason: ReleaseRejected['reason'];
      version?: string;
      message: string;
    };

export class FeedWatcher {
  readonly #options: FeedWatcherOptions;
  readonly #signed: SignedSeries;

  constructor(options: FeedWatcherOptions) {
    this.#options = options;
    this.#signed = options.signedSeries ?? new MemorySignedSeries();
  }

  /** The feed-check queue's handler. */
  readonly handle = async (
    payload: { series: string },
    context?: Pick<HandlerContext, 'signal'>,
  ): Promise<FeedCheckResult> => {
    const { logger, metrics } = this.#options;
    const log = logger.child({ series: payload.series });
    let result: FeedCheckResult;
    try {
      result = await this.#check(
        payload,
        (release) => this.#enqueueDownload(release),
        this.#signed,
        context?.signal,
      );
      if ('buildDate' in result && result.buildDate)
        metrics.upstreamAge.set({ series: result.series }, Date.parse(result.buildDate) / 1000);
    } catch (error) {
      if (!(error instanceof ReleaseRejected)) throw error;
      metrics.releaseRejections.inc({ series: error.series, reason: error.reason });
      metrics.feedChecks.inc({ series: error.series, outcome: 'rejected' });
      log.warn(
        { event: 'rejected', reason: error.reason, version: error.version, err: error.message },
        'release rejected',
      );
      return rejectedResult(error);
    }
    metrics.feedChecks.inc({ series: result.series, outcome: result.outcome });
    metrics.lastSuccessfulCheck.set({ series: result.series }, Date.now() / 1000);
    const catchUp = 'catchUp' in result ? result.catchUp : undefined;
    if (catchUp?.created)
      log.info(
        { event: 'catching-up', version: catchUp.version, jobId: catchUp.jobId },
        'a target lacks another target’s Latest: its download enqueued again',
      );
    if (result.outcome === 'new-release') {
      log.info(
        { event: 'discovered', version: result.version, jobId: result.jobId },
        'new release: download enqueued',
      );
    } else {
      log.info({ event: 'checked', ...result }, 'nothing new');
    }
    return result;
  };

  /**
   * What a check of the series would do now, without doing it: reads the feed and what is
   * published, enqueues nothing (`new-release` means a download would start). A caller that
   * has just listed the series' images (the operator's `imagecycle plan`) passes what they
   * show, which is fresher than the record.
   */
  async preview(series: string, published?: PublishedVersions): Promise<FeedCheckResult> {
    try {
      return await this.#check(
        { series },
        async (release) => {
          const jobId = downloadQueue.jobId({ release });
          const existing = await this.#options.runtime.queue(downloadQueue).getJob(jobId);
          // a download that failed for good would be retried
          return { jobId, created: !existing || (await existing.isFailed()) };
        },
        readOnly(this.#signed),
        undefined,
        published && (() => Promise.resolve(published)),
      );
    } catch (error) {
      if (!(error instanceof ReleaseRejected)) throw error;
      return rejectedResult(error);
    }
  }

  /**
   * One series checked; `onNew` is given the newest release when it is not published.
   * `signal` cancels every fetch.
   */
  async #check(
    payload: { series: string },
    onNew: (release: Release) => Promise<{ jobId: string; created: boolean }>,
    signed: SignedSeries,
    signal?: AbortSignal,
    published?: () => Promise<PublishedVersions | undefined>,
  ): Promise<FeedCheckResult> {
    const { catalogue } = this.#options;
    const now = this.#options.now ?? (() => new Date());
    let buildDate: string | undefined;
    const outcome = await checkSeries(payload, {
      findSeries: (id) => catalogue.series.find((s) => s.id === id),
      readReleases: async (series) => {
        const full = catalogue.series.find((s) => s.id === series.id) as Series;
        const release = await readNewestRelease({
          series: full,
          fetcher: this.#options.fetcher,
          trust: await this.trustFor(full),
          signed,
          now,
          signal,
        });
        buildDate = release?.buildDate;
        return release ? [release] : [];
      },
      published: published ?? ((id) => this.#options.published(id)),
      enqueueDownload: onNew,
      downloadedBefore: (series, version) => this.#downloadedBefore(series, version),
      now,
      ...(this.#options.futureToleranceDays === undefined
        ? {}
        : { futureToleranceDays: this.#options.futureToleranceDays }),
    });
    return buildDate ? { ...outcome, buildDate } : outcome;
  }

  async #enqueueDownload(release: Release): Promise<{ jobId: string; created: boolean }> {
    const { runtime } = this.#options;
    const jobId = downloadQueue.jobId({ release });
    // Two watchers racing here both add; BullMQ keeps one job for the id either way.
    const existing = await runtime.queue(downloadQueue).getJob(jobId);
    const state = existing ? await existing.getState() : undefined;
    // Still to run, or running: it stages the release and enqueues every target's upload.
    if (state !== undefined && state !== 'completed' && state !== 'failed' && state !== 'unknown')
      return { jobId, created: false };
    // A download that completed while a target still lacks the release runs again only when
    // that target's upload gave up (failed for good: an outage longer than allowed) or never
    // ran (a target added since): it reuses a verified copy still in staging, or fetches the
    // release anew, and enqueues the uploads again - completed ones are no-ops. An upload
    // still to run, or one that ended with a verdict (a rejection), is left as it is.
    if (state === 'completed' && !(await this.#someUploadGaveUp(release)))
      return { jobId, created: false };
    // A download that failed for good stays on its queue for a while; enqueueing retries it.
    const job = await runtime.enqueueAgain(downloadQueue, { release }, { activeWaitMs: 0 });
    return { jobId: job.id ?? jobId, created: true };
  }

  /**
   * A release this deployment downloaded before, exactly as its feed check read it (checksum
   * authenticated then): from an upload job of it, which a target's that gave up keeps for
   * the failed jobs' retention (30 days).
   */
  async #downloadedBefore(series: string, version: string): Promise<Release | undefined> {
    const uploads = this.#options.runtime.queue(uploadQueue);
    for (const target of this.#options.catalogue.targets) {
      const job = await uploads.getJob(uploadJobId(series, version, target.name));
      const payload = job && uploadQueue.payload.safeParse(job.data);
      if (payload?.success) return payload.data.release;
    }
    return undefined;
  }

  /** Whether some target's upload of the release failed for good, or has no job at all. */
  async #someUploadGaveUp(release: Release): Promise<boolean> {
    const uploads = this.#options.runtime.queue(uploadQueue);
    for (const target of this.#options.catalogue.targets) {
      const job = await uploads.getJob(uploadJobId(release.series, release.version, target.name));
      if (!job || (await job.isFailed())) return true;
    }
    return false;
  }

  /**
   * The series' pinned keys as its keyring file reads now (parsed again only when the file
   * changed, so a rotated upstream key needs no restart); undefined when its policy is none.
   */
  trustFor(series: Series): Promise<TrustAnchor | undefined> {
    return loadSeriesTrust(series);
  }

  /**
   * One repeating check per enabled series, on the series' cron and time zone; dropped and
   * disabled series lose theirs.
   */
  async syncSchedules(): Promise<void> {
    await syncFeedSchedules(this.#options);
  }
}

/**
 * The feed-watcher's daily schedules (see FeedWatcher.syncSchedules), for a process that
 * keeps them without running the feed-watcher: it needs the catalogue and the queues only.
 */
export async function syncFeedSchedules(options: {
  catalogue: Catalogue;
  runtime: QueueRuntime;
}): Promise<void> {
  const { catalogue, runtime } = options;
  await runtime.syncSchedules(
    feedCheckQueue,
    SCHEDULE_PREFIX,
    catalogue.series
      .filter((series) => series.enabled)
      .map((series) => ({
        id: `${SCHEDULE_PREFIX}${series.id}`,
        cron: series.schedule.cron,
        timezone: series.schedule.timezone,
        payload: { series: series.id, trigger: 'schedule' as const },
      })),
  );
}

/** Every process's keyring files: read at each use, parsed again when they change. */
const keyringFiles = new KeyringFiles();

/**
 * A series' pinned keys from its catalogue entry and its keyring file as it reads now;
 * undefined when its policy is none.
 */
export async function loadSeriesTrust(
  series: Series,
  files: KeyringFiles = keyringFiles,
): Promise<TrustAnchor | undefined> {
  const { policy, keyring, fingerprints } = series.signature;
  if (policy === 'none' || !keyring || fingerprints.length === 0) return undefined;
  return files.load(keyring, fingerprints);
}

/** A check that ended in a rejection, as the handler (and a preview) reports it. */
function rejectedResult(error: ReleaseRejected): FeedCheckResult {
  return {
    series: error.series,
    outcome: 'rejected',
    reason: error.reason,
    ...(error.version ? { version: error.version } : {}),
    message: error.message,
  };
}
