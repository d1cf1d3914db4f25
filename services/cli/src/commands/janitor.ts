// imagecycle janitor [--series ID ...] [--wait] [--timeout SECONDS] [--json]
// Enqueues one janitor pass (over the named series, or over all of them and staging), and
// with --wait waits until a janitor worker has run it and prints its report. Exit 1 when the
// pass failed for good, 4 when the wait timed out.
import { enqueueJanitorRun } from '@imagecycle/composition';
import { janitorQueue } from '@imagecycle/contracts';
import type { JanitorReport } from '@imagecycle/janitor';
import type { JobCommand } from './job.ts';

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

export const janitorJob: JobCommand<JanitorReport> = {
  command: 'janitor',
  what: 'the pass',
  worker: 'a janitor worker',
  queue: janitorQueue,
  enqueue: enqueueJanitorRun,
  enqueuedLine: ({ job }) => `enqueued a janitor pass (job ${job})`,
  reportLines,
};
