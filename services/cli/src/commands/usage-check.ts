// imagecycle usage-check [--series ID ...] [--wait] [--timeout SECONDS] [--json]
// Enqueues one usage check of the named series' community images (all when none): one scan
// of every server and volume. With --wait it waits until a usage-checker worker has run it
// and prints what it found per series (job.ts: exit 1 when the check failed for good, 4 when
// the wait timed out).
import { enqueueUsageCheck } from '@imagecycle/composition';
import { usageCheckQueue } from '@imagecycle/contracts';
import { type UsageReport, usageSummary } from '@imagecycle/usage-checker';
import type { JobCommand } from './job.ts';

/** The report as lines for people: what each series' check found, then what was scanned. */
export function usageReportLines(report: UsageReport): string[] {
  return [
    ...report.bySeries.map((found) => `${found.series}: ${usageSummary(found)}`),
    ...report.incomplete.map((why) => `no reaps: usage scan incomplete: ${why}`),
    `usage checked in ${report.bySeries.length} series: ${report.servers} server(s) (${report.softDeleted} soft-deleted) and ${report.volumes} volume(s) scanned, ${report.reapJobs.length} image(s) handed to the reaper`,
  ];
}

export const usageCheckJob: JobCommand<UsageReport> = {
  command: 'usage-check',
  what: 'the check',
  worker: 'a usage-checker worker',
  queue: usageCheckQueue,
  enqueue: enqueueUsageCheck,
  enqueuedLine: ({ job, series }) =>
    `enqueued a usage check of ${series.length} series (job ${job})`,
  reportLines: usageReportLines,
};
