// imagecycle janitor [--series ID ...] [--wait] [--timeout SECONDS] [--json]
// Enqueues one janitor pass (over the named series, or over all of them and staging), and
// with --wait waits until a janitor worker has run it and prints its report. Exit 1 when the
// pass failed for good, 4 when the wait timed out.
import type { App } from '@imagecycle/composition';
import { janitorQueue } from '@imagecycle/contracts';
import type { JanitorReport } from '@imagecycle/janitor';
import { selectSeries } from '@imagecycle/series-catalogue';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT } from '../exit-codes.ts';

export interface JanitorOptions {
  series: string[];
  wait: boolean;
  timeoutSeconds: number;
  json: boolean;
}

/** The report as lines for people: each repair, or that there was none. */
export function reportLines(report: JanitorReport): string[] {
  const lines = [
    ...report.reconciled.map(
      (r) => `reconcile enqueued  ${r.series}: ${r.images} image(s) differ from the desired state`,
    ),
    ...report.removedCandidates.map(
      (c) => `candidate removed   ${c.series} ${c.imageId}: ${c.because}`,
    ),
    ...report.keptCandidates.map(
      (c) => `candidate kept      ${c.series} ${c.imageId}: ${c.because}`,
    ),
    ...report.resumedReaps.map((r) => `reap resumed        ${r.series} ${r.imageId}`),
    ...report.removedStaging.map((dir) => `staging removed     ${dir}`),
  ];
  const repairs = lines.length;
  return [
    ...lines,
    repairs === 0
      ? `nothing to repair in ${report.series} series`
      : `${repairs} repair(s) in ${report.series} series`,
  ];
}

export async function janitorCommand(app: App, options: JanitorOptions): Promise<number> {
  // an unknown series is an UnknownSeriesError: exit 2 (usage), naming it
  const ids = selectSeries(app.catalogue, options.series).map((s) => s.id);
  const job = await app.runtime.enqueue(janitorQueue, {
    trigger: 'manual',
    // no series: every series, and staging too
    ...(options.series.length > 0 ? { series: ids } : {}),
  });
  const jobId = job.id ?? '';
  if (!options.wait) {
    if (options.json) process.stdout.write(`${JSON.stringify({ enqueued: jobId })}\n`);
    else process.stdout.write(`enqueued a janitor pass (job ${jobId})\n`);
    return EXIT.ok;
  }

  const queue = app.runtime.queue(janitorQueue);
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  // Until the job is over: a failed attempt that will be retried is delayed, not failed.
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed' || state === 'unknown') break;
    if (Date.now() >= deadline) {
      process.stderr.write(
        `imagecycle janitor: the pass (job ${jobId}) is still ${state} after ${options.timeoutSeconds} s; is a janitor worker running?\n`,
      );
      return EXIT.unavailable;
    }
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
  }
  const done = await queue.getJob(jobId);
  if (!done || (await done.getState()) !== 'completed') {
    const reason = done?.failedReason ?? 'the job is gone (removed before it could be read)';
    if (options.json) process.stdout.write(`${JSON.stringify({ job: jobId, failed: reason })}\n`);
    process.stderr.write(`imagecycle janitor: the pass (job ${jobId}) failed: ${reason}\n`);
    return EXIT.failed;
  }
  const report = done.returnvalue as JanitorReport;
  if (options.json) process.stdout.write(`${JSON.stringify({ job: jobId, report })}\n`);
  else for (const line of reportLines(report)) process.stdout.write(`${line}\n`);
  return EXIT.ok;
}
