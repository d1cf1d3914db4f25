// Every stage's handler on its queue. Each handler does its stage's work, hands the result
// to the next stage by enqueueing (never by calling it), and records what happened as an
// event. Which of these a process consumes is its run mode's choice. Every handler passes
// its job's signal into its requests and waits: a shutdown past the drain deadline cancels
// the job where it is, and the runtime puts it back in its queue.
import {
  type allQueues,
  downloadQueue,
  feedCheckQueue,
  janitorQueue,
  reapQueue,
  Rejection,
  type RejectionReason,
  reconcileQueue,
  uploadJobId,
  uploadQueue,
  usageCheckQueue,
} from '@imagecycle/contracts';
import { cleanStaging, download } from '@imagecycle/downloader';
import { tidy } from '@imagecycle/janitor';
import type {
  CheckRecords,
  Events,
  PublishedRecords,
  SmokeTestRecords,
  UsageCheckRecords,
} from '@imagecycle/events';
import { type FeedWatcher, loadSeriesTrust } from '@imagecycle/feed-watcher';
import type { OpenStackClient } from '@imagecycle/openstack';
import {
  FinalFailure,
  type HandlerContext,
  type HandlerMap,
  type QueueRuntime,
} from '@imagecycle/queues';
import { reap } from '@imagecycle/reaper';
import { reconcile } from '@imagecycle/renamer';
import { type Catalogue, type Series, selectSeries } from '@imagecycle/series-catalogue';
import type { Metrics } from '@imagecycle/observability';
import { type SmokeTester, StagingDamaged, upload } from '@imagecycle/uploader';
import { checkUsage, usageCounts, usageSummary } from '@imagecycle/usage-checker';

const ABANDONED_AFTER_MS = 3 * 24 * 3600 * 1000;

/**
 * The cloud accounts a stage may use, each asked for only by the handlers that need it (so a
 * process that runs none of them never reads its clouds.yaml entry).
 */
export interface StageClouds {
  /**
   * Writes the service project's images: uploader, renamer, janitor, the reaper's delete and
   * the usage-checker's record of use on the images.
   */
  publish(): OpenStackClient;
  /** Reads every project's servers and volumes: usage-checker, the reaper's last check. */
  usage(): OpenStackClient;
}

export interface StageDeps {
  catalogue: Catalogue;
  clouds: StageClouds;
  /** The service project, owner of the managed images (the accounts' project). */
  owner: string;
  runtime: QueueRuntime;
  watcher: () => FeedWatcher;
  events: Events;
  /** Where each series' last feed check and its outcome are kept. */
  checks?: CheckRecords;
  /** Where each series' last smoke test, its verdict and duration, are kept. */
  smokeTests?: SmokeTestRecords;
  /** Where each series' last usage check and what it found are kept. */
  usageChecks?: UsageCheckRecords;
  /**
   * Where what each series has published is kept: written after every reconcile and janitor
   * pass, read by the feed-watcher (which has no cloud account).
   */
  published?: PublishedRecords;
  stagingDir: string;
  /** The clock of usage checks and reaps (tests and the demo move it forward). */
  now?: () => Date;
  reapSettleMs?: number;
  reapDryRun?: boolean;
  /** The roles Cinder's policy makes admin (IMAGECYCLE_CINDER_ADMIN_ROLES; default admin). */
  cinderAdminRoles?: readonly string[];
  logger?: { info(object: object, message?: string): void };
  /** Counts rejections by reason (the feed-watcher counts its own) and bytes moved. */
  metrics?: Partial<Pick<Metrics, 'releaseRejections' | 'bytesMoved'>>;
  /**
   * Nova in the project a series' smoke test runs in (catalogue `smokeTest.project`;
   * undefined: the publishing account's own).
   */
  smokeTesterFor?: (project: string | undefined) => SmokeTester;
}

/** The handler of every queue of the system: a missing or an extra one is a compile error. */
export type StageHandlers = HandlerMap<typeof allQueues>;

export function stageHandlers(deps: StageDeps): StageHandlers {
  const { catalogue, clouds, owner, runtime, events } = deps;
  const findSeries = (id: string): Series | undefined => catalogue.series.find((s) => s.id === id);
  const now = () => deps.now?.() ?? new Date();
  /**
   * What a stage calls when it picks up what a crash left (a leftover candidate, a partial
   * download, a reap in its settle step): a `recovered` event, which logs its line too.
   */
  const recovered =
    (stage: string, series: string, version?: string) =>
    (what: { imageId?: string; detail: string }) =>
      events.record({
        type: 'recovered',
        series,
        ...(version ? { version } : {}),
        ...(what.imageId ? { imageId: what.imageId } : {}),
        detail: `${stage}: ${what.detail}`,
      });

  /**
   * Runs a stage's work on one release; a Rejection (a verdict on the release, not a fault)
   * is counted, recorded as an event and returned as the job's result instead of retried.
   */
  async function judged<T>(
    release: { series: string; version: string },
    signal: AbortSignal,
    work: () => Promise<T>,
  ): Promise<T | { rejected: RejectionReason; message: string }> {
    try {
      return await work();
    } catch (error) {
      // a cancelled job is no verdict on its release, whatever its stage threw on the way out
      if (signal.aborted || !(error instanceof Rejection)) throw error;
      const { reason, message } = error as Rejection;
      deps.metrics?.releaseRejections?.inc({ series: release.series, reason });
      await events.record({
        type: 'rejected',
        series: release.series,
        version: release.version,
        detail: message,
      });
      return { rejected: reason, message };
    }
  }

  return {
    [feedCheckQueue.name]: async (payload, ctx) => {
      const at = now().toISOString();
      let result: Awaited<ReturnType<FeedWatcher['handle']>>;
      try {
        result = await deps.watcher().handle(payload, ctx);
      } catch (error) {
        if (ctx.signal.aborted) throw error; // cancelled, not failed: it runs again
        // Retried by the queue; meanwhile the series shows why its last check failed.
        await deps.checks?.record({
          series: payload.series,
          at,
          outcome: 'failed',
          message: (error as Error).message,
        });
        throw error;
      }
      await deps.checks?.record({
        series: result.series,
        at,
        outcome: result.outcome,
        ...('version' in result && result.version ? { version: result.version } : {}),
        ...('buildDate' in result && result.buildDate ? { buildDate: result.buildDate } : {}),
        ...(result.outcome === 'rejected' ? { message: result.message } : {}),
      });
      if (result.outcome === 'new-release')
        await events.record({ type: 'discovered', series: result.series, version: result.version });
      if (result.outcome === 'rejected') {
        await events.record({
          type: 'rejected',
          series: result.series,
          ...(result.version ? { version: result.version } : {}),
          detail: result.message,
        });
      }
      return result;
    },

    [downloadQueue.name]: async ({ release }, plainCtx) => {
      const ctx = countingBytes(plainCtx, 'download', undefined, (bytes) =>
        deps.metrics?.bytesMoved?.inc({ stage: 'download', series: release.series }, bytes),
      );
      // Directories nobody wrote to for three days belong to abandoned releases.
      const removed = await cleanStaging(deps.stagingDir, [release], ABANDONED_AFTER_MS);
      if (removed.length > 0) deps.logger?.info({ removed }, 'abandoned staging removed');
      return judged(release, ctx.signal, async () => {
        const artifact = await download({ release }, ctx, {
          stagingDir: deps.stagingDir,
          trustFor: async (id) => {
            const series = findSeries(id);
            return series ? loadSeriesTrust(series) : undefined;
          },
          publishAs: (id) => findSeries(id)?.diskFormat,
          onRecovered: recovered('download', release.series, release.version),
        });
        await events.record({
          type: 'downloaded',
          series: release.series,
          version: release.version,
        });
        await runtime.enqueue(uploadQueue, { release, artifact });
        return artifact;
      });
    },

    [uploadQueue.name]: async ({ release, artifact }, plainCtx) => {
      const ctx = countingBytes(plainCtx, 'upload', 0, (bytes) =>
        deps.metrics?.bytesMoved?.inc({ stage: 'upload', series: release.series }, bytes),
      );
      const smoke = findSeries(release.series)?.smokeTest;
      return judged(release, ctx.signal, async () => {
        const result = await upload({ release, artifact }, ctx, {
          glance: clouds.publish().glance,
          owner,
          stagingDir: deps.stagingDir,
          findSeries,
          enqueueReconcile: (series, reason) => runtime.enqueue(reconcileQueue, { series, reason }),
          now,
          smokeTester: smoke && deps.smokeTesterFor?.(smoke.project),
          onSmokeTest: async (verdict) => {
            deps.logger?.info(
              { series: release.series, version: release.version, ...verdict },
              `smoke test ${verdict.result}: ${release.series} ${release.version} in ${verdict.durationSeconds} s`,
            );
            await deps.smokeTests?.record({
              series: release.series,
              version: release.version,
              at: new Date().toISOString(),
              ...verdict,
            });
          },
          signal: ctx.signal,
          onRecovered: recovered('upload', release.series, release.version),
        }).catch(async (error: unknown) => {
          if (!(error instanceof StagingDamaged) || ctx.signal.aborted) throw error;
          // The uploader removed the damaged staging; the release is downloaded once more,
          // and that download enqueues this upload again (a failed upload job is retried).
          // Retrying this job meanwhile could only fail the same way.
          await runtime.enqueueAgain(downloadQueue, { release }, { delay: 2_000 });
          await events.record({
            type: 'repaired',
            series: release.series,
            version: release.version,
            detail: `${error.message}: staging removed, downloading the release again`,
          });
          throw new FinalFailure(error.message);
        });
        await events.record({
          type: 'uploaded',
          series: release.series,
          version: release.version,
          imageId: result.imageId,
        });
        return result;
      });
    },

    [reconcileQueue.name]: async ({ series }, ctx) => {
      const result = await reconcile(
        { series },
        { glance: clouds.publish().glance.withSignal(ctx.signal), owner, findSeries },
      );
      await deps.published?.record({
        series,
        at: new Date().toISOString(),
        ...result.published,
        by: 'reconcile',
      });
      for (const change of result.changes) {
        await events.record({
          type: change.role === 'latest' ? 'promoted' : 'demoted',
          series,
          imageId: change.imageId,
        });
      }
      return result;
    },

    [usageCheckQueue.name]: async ({ series: only }, ctx) => {
      // every project's servers and volumes with the reading account; the use it records on
      // the images (last used, why kept) is a Glance write: the publishing account
      const reader = clouds.usage().withSignal(ctx.signal);
      // the named series (all when none); one not in the catalogue fails the job, naming it
      const selected = selectSeries(catalogue, only ?? []);
      const at = now().toISOString();
      const none = { communityImages: 0, inUse: 0, newlyUnused: 0, handedToReaper: 0, kept: 0 };
      let report: Awaited<ReturnType<typeof checkUsage>>;
      try {
        report = await checkUsage({
          glance: clouds.publish().glance.withSignal(ctx.signal),
          nova: reader.nova,
          cinder: reader.cinder,
          owner,
          ...(deps.cinderAdminRoles ? { cinderAdminRoles: deps.cinderAdminRoles } : {}),
          series: selected,
          now,
          enqueueReap: async (series, imageId) => {
            await events.record({ type: 'unused', series, imageId });
            return runtime.enqueue(reapQueue, { series, imageId });
          },
          onWithheld: (series, imageId, because) =>
            events.record({ type: 'kept-in-use', series, imageId, detail: because }),
        });
      } catch (error) {
        if (ctx.signal.aborted) throw error; // cancelled, not failed: it runs again
        // Retried by the queue; meanwhile each series shows why its last usage check failed.
        for (const series of selected)
          await deps.usageChecks?.record({
            series: series.id,
            at,
            outcome: 'failed',
            ...none,
            message: (error as Error).message,
          });
        throw error;
      }
      const doubt = report.incomplete.length
        ? `usage scan incomplete: ${report.incomplete.join('; ')}`
        : undefined;
      // one summary per series checked, so an operator can tell that it ran and what it found
      for (const found of report.bySeries) {
        await deps.usageChecks?.record({
          series: found.series,
          at,
          outcome: 'checked',
          ...usageCounts(found),
          ...(doubt ? { message: doubt } : {}),
        });
        await events.record({
          type: 'usage-checked',
          series: found.series,
          detail: `${usageSummary(found)}${doubt ? `; no reaps: ${doubt}` : ''}`,
        });
      }
      return report;
    },

    [reapQueue.name]: async ({ series, imageId }, ctx) => {
      const outcome = await reap(
        { series, imageId },
        {
          // deactivate and delete with the publishing account, the last usage check with the
          // reading one
          glance: clouds.publish().glance,
          nova: clouds.usage().nova,
          cinder: clouds.usage().cinder,
          owner,
          findSeries,
          now,
          ...(deps.cinderAdminRoles ? { cinderAdminRoles: deps.cinderAdminRoles } : {}),
          ...(deps.reapSettleMs !== undefined ? { settleMs: deps.reapSettleMs } : {}),
          ...(deps.reapDryRun ? { dryRun: true } : {}),
          signal: ctx.signal,
          onRecovered: recovered('reap', series),
        },
      );
      if (outcome.outcome === 'deleted')
        await events.record({
          type: 'reaped',
          series,
          imageId,
          version: outcome.version,
          detail: outcome.name,
        });
      if (outcome.outcome === 'kept')
        await events.record({ type: 'kept-in-use', series, imageId, detail: outcome.because });
      return outcome;
    },

    [janitorQueue.name]: async ({ series }) => {
      const report = await tidy(
        { series },
        {
          glance: clouds.publish().glance,
          owner,
          series: catalogue.series,
          now,
          enqueueReconcile: (id, reason) => runtime.enqueue(reconcileQueue, { series: id, reason }),
          resumeReap: async (id, imageId) => {
            // A completed reap keeps its job id: make room for the new attempt. One that failed
            // for good stays on its queue (its reason for operators); enqueue retries it.
            const jobId = reapQueue.jobId({ series: id, imageId });
            const previous = await runtime.queue(reapQueue).getJob(jobId);
            if (previous && (await previous.isCompleted())) await previous.remove();
            return runtime.enqueue(reapQueue, { series: id, imageId });
          },
          uploadPending: (id, version) =>
            runtime.pendingJobState(uploadQueue, uploadJobId(id, version)),
          cleanStaging: () => cleanStaging(deps.stagingDir, [], ABANDONED_AFTER_MS),
        },
      );
      const at = new Date().toISOString();
      for (const published of report.published)
        await deps.published?.record({ ...published, at, by: 'janitor' });
      if (report.keptCandidates.length > 0)
        deps.logger?.info({ kept: report.keptCandidates }, 'old candidates kept: upload pending');
      for (const removed of report.removedCandidates)
        await events.record({
          type: 'repaired',
          series: removed.series,
          imageId: removed.imageId,
          detail: `dead candidate removed: ${removed.because}`,
        });
      for (const resumed of report.resumedReaps)
        await events.record({
          type: 'repaired',
          series: resumed.series,
          imageId: resumed.imageId,
          detail: 'stranded reap resumed',
        });
      for (const reconciled of report.reconciled)
        await events.record({
          type: 'repaired',
          series: reconciled.series,
          detail: `${reconciled.images} image(s) differed from the desired state: reconcile enqueued`,
        });
      return report;
    },
  };
}

/**
 * The context with its progress reports counted: the growth of `bytes` in the given phase,
 * from `from`. An upload always starts at 0; a download may resume, so its first report
 * (the downloader reports where each attempt starts) is its baseline (`from` undefined) and
 * resumed bytes are not counted twice.
 */
function countingBytes(
  ctx: HandlerContext,
  phase: string,
  from: number | undefined,
  count: (bytes: number) => void,
) {
  let last = from;
  return {
    ...ctx,
    progress(value: Parameters<HandlerContext['progress']>[0]) {
      if (typeof value === 'object' && value.phase === phase && typeof value.bytes === 'number') {
        if (last !== undefined && value.bytes > last) count(value.bytes - last);
        last = value.bytes;
      }
      return ctx.progress(value);
    },
  };
}
