// Every stage's handler on its queue. Each handler does its stage's work, hands the result
// to the next stage by enqueueing (never by calling it), and records what happened as an
// event. Which of these a process consumes is its run mode's choice. Every handler passes
// its job's signal into its requests and waits: a shutdown past the drain deadline cancels
// the job where it is, and the runtime puts it back in its queue.
import {
  type allQueues,
  DEFAULT_TARGET,
  downloadQueue,
  feedCheckQueue,
  janitorQueue,
  reapQueue,
  Rejection,
  type RejectionReason,
  reconcileQueue,
  stagingPaths,
  uploadJobId,
  uploadQueue,
  usageCheckQueue,
} from '@imagecycle/contracts';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { cleanStaging, download } from '@imagecycle/downloader';
import { tidy } from '@imagecycle/janitor';
import type {
  CheckRecords,
  Events,
  PublishedRecords,
  SmokeTestRecords,
  DeliveryOutcome,
  StagingDeliveries,
  TargetOutages,
  UsageCheckRecords,
} from '@imagecycle/events';
import type { ComputeRegion } from '@imagecycle/inventory';
import { type FeedWatcher, loadSeriesTrust } from '@imagecycle/feed-watcher';
import {
  OpenStackConnectionError,
  type OpenStackClient,
  OpenStackHttpError,
} from '@imagecycle/openstack';
import {
  FinalFailure,
  type HandlerContext,
  type HandlerMap,
  type QueueRuntime,
  RunLater,
  type Slots,
} from '@imagecycle/queues';
import { reap } from '@imagecycle/reaper';
import { reconcile } from '@imagecycle/renamer';
import { type Catalogue, type Series, selectSeries } from '@imagecycle/series-catalogue';
import type { Metrics } from '@imagecycle/observability';
import { type SmokeTester, StagingDamaged, upload } from '@imagecycle/uploader';
import { checkUsage, usageCounts, usageSummary } from '@imagecycle/usage-checker';

const ABANDONED_AFTER_MS = 3 * 24 * 3600 * 1000;

/**
 * The cloud accounts a stage may use in one target, each asked for only by the handlers that
 * need it (so a process that runs none of them never reads its clouds.yaml entry).
 */
export interface StageClouds {
  /**
   * Writes the service project's images: uploader, renamer, janitor, the reaper's delete and
   * the usage-checker's record of use on the images.
   */
  publish(): OpenStackClient;
  /** Reads every project's servers and volumes: usage-checker, the reaper's last check. */
  usage(): OpenStackClient;
  /**
   * The reading account in every further compute region that boots from this target's
   * Glance (one Glance shared by regions): their servers and volumes are users too.
   */
  alsoIn?(): ComputeRegion[];
}

/** One target - one Glance - and where its stages keep what they found. */
export interface StageTarget {
  /** Its name in the catalogue (`default` when the catalogue names none). */
  name: string;
  /** The region of its Glance, when the catalogue names one. */
  region?: string | undefined;
  /** false: its uploads never follow a download, they start once it is verified. */
  overlap?: boolean | undefined;
  clouds: StageClouds;
  /** The service project, owner of the managed images (the accounts' project). */
  owner(): Promise<string>;
  /** Where each series' last smoke test, its verdict and duration, are kept. */
  smokeTests?: SmokeTestRecords;
  /** Where each series' last usage check and what it found are kept. */
  usageChecks?: UsageCheckRecords;
  /**
   * Where what each series has published is kept: written after every reconcile and janitor
   * pass, read by the feed-watcher (which has no cloud account).
   */
  published?: PublishedRecords;
  /**
   * Nova in the project a series' smoke test runs in (catalogue `smokeTest.project`;
   * undefined: the publishing account's own).
   */
  smokeTesterFor?: (project: string | undefined) => SmokeTester;
}

export interface StageDeps {
  catalogue: Catalogue;
  /** Every target, in catalogue order: each release is uploaded to each. */
  targets: readonly StageTarget[];
  runtime: QueueRuntime;
  watcher: () => FeedWatcher;
  events: Events;
  /** Where each series' last feed check and its outcome are kept. */
  checks?: CheckRecords;
  /**
   * Which targets are done with each staged release: its staging goes when all are (absent:
   * when the first is, as with a single target).
   */
  deliveries?: StagingDeliveries;
  /**
   * Since when each target has been unreachable: an upload to a target that is down waits
   * for it (no attempt counted) up to `outageMs`, asking again every `retryMs`, then gives
   * up. Absent: an unreachable target is a failed attempt like any fault.
   */
  outages?: { record: TargetOutages; outageMs: number; retryMs: number };
  /**
   * At most `slots.limit` uploads to one target at once, across every worker: an upload
   * beyond them waits `waitMs` and asks again (no attempt counted), while uploads to the
   * other targets go on. Absent: bounded only by the workers' concurrency.
   */
  uploadSlots?: { slots: Slots; waitMs: number };
  /** Told after a target recorded what a series has published (the targets' agreement). */
  recordedPublished?: (series: string) => Promise<void>;
  stagingDir: string;
  /** The clock of usage checks and reaps (tests and the demo move it forward). */
  now?: () => Date;
  reapSettleMs?: number;
  reapDryRun?: boolean;
  /** The roles Cinder's policy makes admin (IMAGECYCLE_CINDER_ADMIN_ROLES; default admin). */
  cinderAdminRoles?: readonly string[];
  logger?: { info(object: object, message?: string): void };
  /** Counts rejections by reason (the feed-watcher counts its own) and bytes moved. */
  metrics?: Partial<Pick<Metrics, 'releaseRejections' | 'bytesMoved' | 'uploadsGivenUp'>>;
}

/** The handler of every queue of the system: a missing or an extra one is a compile error. */
export type StageHandlers = HandlerMap<typeof allQueues>;

export function stageHandlers(deps: StageDeps): StageHandlers {
  const { catalogue, runtime, events } = deps;
  const findSeries = (id: string): Series | undefined => catalogue.series.find((s) => s.id === id);
  const targetNames = deps.targets.map((t) => t.name);
  /**
   * Whether the downloader takes a release's SHA-512 (compared with each Glance's own) so the
   * uploads send without hashing: with several targets (hashed once, not once per target) and
   * for a series whose upload follows the download (the client's CPU is then what bounds it).
   */
  const hashedOnce = (series: string): boolean =>
    targetNames.length > 1 || (findSeries(series)?.overlap ?? false);
  /** The job's target; one the catalogue no longer names fails the job for good, naming it. */
  const targetOf = (name: string): StageTarget => {
    const target = deps.targets.find((t) => t.name === name);
    if (!target)
      throw new FinalFailure(
        `target "${name}" is not in the catalogue (its targets: ${targetNames.join(', ')})`,
      );
    return target;
  };
  /** The staged release's directory, disk image and marker. */
  const removeStaged = (release: { series: string; version: string }) =>
    rm(stagingPaths(resolve(deps.stagingDir), release.series, release.version).dir, {
      recursive: true,
      force: true,
    });
  /**
   * A target is done with the staged release: its staging goes once no target still needs it
   * (at once without a record of deliveries: the single target of a test's wiring).
   */
  const delivered = async (
    release: { series: string; version: string },
    target: string,
    outcome: DeliveryOutcome,
  ) => {
    if (!deps.deliveries) return removeStaged(release);
    const waiting = await deps.deliveries.record(
      release.series,
      release.version,
      target,
      outcome,
      targetNames,
    );
    if (waiting.length === 0) await removeStaged(release);
    else
      deps.logger?.info(
        { series: release.series, version: release.version, target, waiting },
        `staging of ${release.series} ${release.version} kept for ${waiting.join(', ')}`,
      );
  };
  /** An event's target field: named unless it is the single target of a catalogue without any. */
  const inTarget = (name: string) => (name === DEFAULT_TARGET ? {} : { target: name });
  const now = () => deps.now?.() ?? new Date();
  /**
   * What a stage calls when it picks up what a crash left (a leftover candidate, a partial
   * download, a reap in its settle step): a `recovered` event, which logs its line too.
   */
  const recovered =
    (stage: string, series: string, version?: string, target = DEFAULT_TARGET) =>
    (what: { imageId?: string; detail: string }) =>
      events.record({
        type: 'recovered',
        series,
        ...inTarget(target),
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
    target?: string,
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
        ...(target ? inTarget(target) : {}),
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
      // the targets whose uploads follow this download as it is written
      const following = findSeries(release.series)?.overlap
        ? deps.targets.filter((t) => t.overlap !== false).map((t) => t.name)
        : [];
      return judged(release, ctx.signal, async () => {
        // Overlapped: set once the first bytes are staged - the copy recorded as staged for
        // every target, and one upload per target enqueued to follow it.
        let overlapped: Promise<boolean> | undefined;
        const artifact = await download({ release }, ctx, {
          stagingDir: deps.stagingDir,
          trustFor: async (id) => {
            const series = findSeries(id);
            return series ? loadSeriesTrust(series) : undefined;
          },
          publishAs: (id) => findSeries(id)?.diskFormat,
          // several targets, or an upload that follows the download: the SHA-512 once here,
          // not once per target's upload (which then sends without hashing)
          sha512: hashedOnce(release.series),
          onRecovered: recovered('download', release.series, release.version),
          // The upload starts as soon as the disk image's first bytes are on the disk, and
          // follows it (`overlap: false` on the series or a target: only once it is verified,
          // below).
          overlap: following.length > 0,
          onStaged: () => {
            overlapped = (async () => {
              // before any target's upload can finish and say it is done with this copy
              await deps.deliveries?.staged(release.series, release.version);
              for (const target of following)
                await runtime.enqueue(uploadQueue, { release, target });
              return true;
            })().catch((error: unknown) => {
              deps.logger?.info(
                {
                  series: release.series,
                  version: release.version,
                  err: (error as Error).message,
                },
                'overlapped upload not enqueued: it is once the download is verified',
              );
              return false;
            });
          },
        });
        const recorded = (await overlapped) ?? false;
        await events.record({
          type: 'downloaded',
          series: release.series,
          version: release.version,
        });
        // one verified copy in staging, one upload job per target (each with its own retries);
        // overlapped, the copy was recorded at its first bytes: recording it again now would
        // forget a target whose upload already finished
        if (!recorded) await deps.deliveries?.staged(release.series, release.version);
        for (const target of targetNames) {
          // overlapped, a no-op while the target's upload is still to run or running; a retry
          // of it when it failed for good (now naming the artifact: sent as verified, without
          // following)
          const job = await runtime.enqueue(uploadQueue, { release, artifact, target });
          // A target whose upload of this release already ended (a copy staged again for a
          // target that gave up) is done with this copy too: it must not keep it for ever.
          if (deps.deliveries && (await job.isCompleted())) {
            const ended = job.returnvalue as { rejected?: string } | undefined;
            await delivered(release, target, ended?.rejected ? 'rejected' : 'published');
          }
        }
        return artifact;
      });
    },

    [uploadQueue.name]: async ({ release, artifact, target: name }, plainCtx) => {
      const target = targetOf(name);
      const ctx = countingBytes(plainCtx, 'upload', 0, (bytes) =>
        deps.metrics?.bytesMoved?.inc({ stage: 'upload', series: release.series }, bytes),
      );
      const smoke = findSeries(release.series)?.smokeTest;
      const releaseStaging = (outcome: DeliveryOutcome) => delivered(release, name, outcome);
      let redownloading = false;
      const lease = await deps.uploadSlots?.slots.acquire(name, ctx.jobId);
      if (deps.uploadSlots && !lease)
        throw new RunLater(
          deps.uploadSlots.waitMs,
          `target ${name} already has ${deps.uploadSlots.slots.limit} upload(s) running (IMAGECYCLE_UPLOADS_PER_TARGET): this one waits its turn`,
        );
      try {
        return await judged(
          release,
          ctx.signal,
          async () => {
            const result = await upload({ release, artifact }, ctx, {
              glance: target.clouds.publish().glance,
              owner: await target.owner(),
              stagingDir: deps.stagingDir,
              findSeries,
              enqueueReconcile: (series, reason) =>
                runtime.enqueue(reconcileQueue, { series, reason, target: name }),
              now,
              smokeTester: smoke && target.smokeTesterFor?.(smoke.project),
              onSmokeTest: async (verdict) => {
                deps.logger?.info(
                  { series: release.series, version: release.version, target: name, ...verdict },
                  `smoke test ${verdict.result}: ${release.series} ${release.version} in ${verdict.durationSeconds} s`,
                );
                await target.smokeTests?.record({
                  series: release.series,
                  version: release.version,
                  at: new Date().toISOString(),
                  ...verdict,
                });
              },
              signal: ctx.signal,
              onRecovered: recovered('upload', release.series, release.version, name),
              releaseStaging,
              hashWhileSending: !hashedOnce(release.series),
            }).catch(async (error: unknown) => {
              if (!(error instanceof StagingDamaged) || ctx.signal.aborted) throw error;
              // The uploader removed the damaged staging; the release is downloaded once more,
              // and that download enqueues this upload again (a failed upload job is retried).
              // Retrying this job meanwhile could only fail the same way.
              await runtime.enqueueAgain(downloadQueue, { release }, { delay: 2_000 });
              await events.record({
                type: 'repaired',
                series: release.series,
                ...inTarget(name),
                version: release.version,
                detail: `${error.message}: staging removed, downloading the release again`,
              });
              redownloading = true;
              throw new FinalFailure(error.message);
            });
            await deps.outages?.record.up(name);
            await events.record({
              type: 'uploaded',
              series: release.series,
              ...inTarget(name),
              version: release.version,
              imageId: result.imageId,
            });
            return result;
          },
          name,
        );
      } catch (thrown) {
        let error = thrown;
        // The target is down (no answer, or a gateway's 502/503/504 after the client's own
        // retries): the upload waits for it, using up no attempt, while the outage is young.
        if (deps.outages && !ctx.signal.aborted && unreachable(error)) {
          const { record, outageMs, retryMs } = deps.outages;
          const since = await record.down(name, new Date());
          const downSeconds = Math.round((Date.now() - since.getTime()) / 1000);
          if (Date.now() - since.getTime() < outageMs)
            throw new RunLater(
              retryMs,
              `target ${name} unreachable for ${downSeconds} s (${(error as Error).message}): the upload of ${release.series} ${release.version} waits for it`,
            );
          error = new FinalFailure(
            `target ${name} unreachable for ${downSeconds} s, longer than allowed (IMAGECYCLE_TARGET_OUTAGE_SECONDS): ${(error as Error).message}`,
          );
        }
        // This target's last attempt failed: it gives up on this copy (the others keep
        // theirs), so staging no longer waits for it. It gets the release from a later
        // download: the next feed check finds it missing from this target's record.
        const final =
          error instanceof FinalFailure ||
          ctx.attempt >= (uploadQueue.defaultJobOptions.attempts ?? 1);
        if (final && !redownloading && !ctx.signal.aborted) {
          deps.metrics?.uploadsGivenUp?.inc({ series: release.series, target: name });
          await events.record({
            type: 'gave-up',
            series: release.series,
            ...inTarget(name),
            version: release.version,
            detail: `upload failed for good: ${(error as Error).message}`,
          });
          await releaseStaging('gave-up');
        }
        throw error;
      } finally {
        await lease?.release();
      }
    },

    [reconcileQueue.name]: async ({ series, target: name }, ctx) => {
      const target = targetOf(name);
      const result = await reconcile(
        { series },
        {
          glance: target.clouds.publish().glance.withSignal(ctx.signal),
          owner: await target.owner(),
          findSeries,
        },
      );
      await target.published?.record({
        series,
        at: now().toISOString(),
        ...result.published,
        by: 'reconcile',
      });
      await deps.recordedPublished?.(series);
      for (const change of result.changes) {
        await events.record({
          type: change.role === 'latest' ? 'promoted' : 'demoted',
          series,
          ...inTarget(name),
          imageId: change.imageId,
        });
      }
      return result;
    },

    [usageCheckQueue.name]: async ({ series: only, target: name }, ctx) => {
      const target = targetOf(name);
      const { clouds } = target;
      // every project's servers and volumes with the reading account, in every compute region
      // that boots from this Glance; the use it records on the images (last used, why kept)
      // is a Glance write: the publishing account
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
          ...regionsOf(target, ctx.signal),
          owner: await target.owner(),
          ...(deps.cinderAdminRoles ? { cinderAdminRoles: deps.cinderAdminRoles } : {}),
          series: selected,
          now,
          enqueueReap: async (series, imageId) => {
            await events.record({ type: 'unused', series, ...inTarget(name), imageId });
            return runtime.enqueue(reapQueue, { series, imageId, target: name });
          },
          onWithheld: (series, imageId, because) =>
            events.record({
              type: 'kept-in-use',
              series,
              ...inTarget(name),
              imageId,
              detail: because,
            }),
        });
      } catch (error) {
        if (ctx.signal.aborted) throw error; // cancelled, not failed: it runs again
        // Retried by the queue; meanwhile each series shows why its last usage check failed.
        for (const series of selected)
          await target.usageChecks?.record({
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
        await target.usageChecks?.record({
          series: found.series,
          at,
          outcome: 'checked',
          ...usageCounts(found),
          ...(doubt ? { message: doubt } : {}),
        });
        await events.record({
          type: 'usage-checked',
          series: found.series,
          ...inTarget(name),
          detail: `${usageSummary(found)}${doubt ? `; no reaps: ${doubt}` : ''}`,
        });
      }
      return report;
    },

    [reapQueue.name]: async ({ series, imageId, target: name }, ctx) => {
      const target = targetOf(name);
      const { clouds } = target;
      const outcome = await reap(
        { series, imageId },
        {
          // deactivate and delete with the publishing account, the last usage check with the
          // reading one, in every compute region that boots from this Glance
          glance: clouds.publish().glance,
          nova: clouds.usage().nova,
          cinder: clouds.usage().cinder,
          ...regionsOf(target),
          owner: await target.owner(),
          findSeries,
          now,
          ...(deps.cinderAdminRoles ? { cinderAdminRoles: deps.cinderAdminRoles } : {}),
          ...(deps.reapSettleMs !== undefined ? { settleMs: deps.reapSettleMs } : {}),
          ...(deps.reapDryRun ? { dryRun: true } : {}),
          signal: ctx.signal,
          onRecovered: recovered('reap', series, undefined, name),
        },
      );
      if (outcome.outcome === 'deleted')
        await events.record({
          type: 'reaped',
          series,
          ...inTarget(name),
          imageId,
          version: outcome.version,
          detail: outcome.name,
        });
      if (outcome.outcome === 'kept')
        await events.record({
          type: 'kept-in-use',
          series,
          ...inTarget(name),
          imageId,
          detail: outcome.because,
        });
      return outcome;
    },

    [janitorQueue.name]: async ({ series, target: name }) => {
      const target = targetOf(name);
      const report = await tidy(
        { series },
        {
          glance: target.clouds.publish().glance,
          owner: await target.owner(),
          series: catalogue.series,
          now,
          enqueueReconcile: (id, reason) =>
            runtime.enqueue(reconcileQueue, { series: id, reason, target: name }),
          resumeReap: async (id, imageId) => {
            // A completed reap keeps its job id: make room for the new attempt. One that failed
            // for good stays on its queue (its reason for operators); enqueue retries it.
            const jobId = reapQueue.jobId({ series: id, imageId, target: name });
            const previous = await runtime.queue(reapQueue).getJob(jobId);
            if (previous && (await previous.isCompleted())) await previous.remove();
            return runtime.enqueue(reapQueue, { series: id, imageId, target: name });
          },
          uploadPending: (id, version) =>
            runtime.pendingJobState(uploadQueue, uploadJobId(id, version, name)),
          cleanStaging: () => cleanStaging(deps.stagingDir, [], ABANDONED_AFTER_MS),
        },
      );
      const at = now().toISOString();
      for (const published of report.published) {
        await target.published?.record({ ...published, at, by: 'janitor' });
        await deps.recordedPublished?.(published.series);
      }
      if (report.keptCandidates.length > 0)
        deps.logger?.info({ kept: report.keptCandidates }, 'old candidates kept: upload pending');
      for (const removed of report.removedCandidates)
        await events.record({
          type: 'repaired',
          series: removed.series,
          ...inTarget(name),
          imageId: removed.imageId,
          detail: `dead candidate removed: ${removed.because}`,
        });
      for (const resumed of report.resumedReaps)
        await events.record({
          type: 'repaired',
          series: resumed.series,
          ...inTarget(name),
          imageId: resumed.imageId,
          detail: 'stranded reap resumed',
        });
      for (const reconciled of report.reconciled)
        await events.record({
          type: 'repaired',
          series: reconciled.series,
          ...inTarget(name),
          detail: `${reconciled.images} image(s) differed from the desired state: reconcile enqueued`,
        });
      return report;
    },
  };
}

/** No answer from the target's cloud, or a gateway's answer that it is down. */
function unreachable(error: unknown): boolean {
  return (
    error instanceof OpenStackConnectionError ||
    (error instanceof OpenStackHttpError && [502, 503, 504].includes(error.status))
  );
}

/** The further compute regions of a target, for a usage scan (with the job's signal). */
function regionsOf(
  target: StageTarget,
  signal?: AbortSignal,
): { region?: string; alsoIn?: ComputeRegion[] } {
  const more = target.clouds.alsoIn?.() ?? [];
  return {
    ...(target.region ? { region: target.region } : {}),
    ...(more.length > 0
      ? {
          alsoIn: signal
            ? more.map((r) => ({
                region: r.region,
                nova: r.nova.withSignal(signal),
                cinder: r.cinder.withSignal(signal),
              }))
            : more,
        }
      : {}),
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
