// Work started by hand, from the CLI (`imagecycle run|usage-check|janitor`) and the API
// (`POST /api/checks|usage-checks|janitor-runs`) alike: one place that names the series and
// enqueues the job, so both ways in do the same thing. A series not in the catalogue is an
// UnknownSeriesError naming it, before anything is enqueued.
import { feedCheckQueue, janitorQueue, usageCheckQueue } from '@imagecycle/contracts';
import { selectSeries, selectTargets } from '@imagecycle/series-catalogue';
import type { App } from './app.ts';

/**
 * Jobs enqueued over some series, one per target: the first one's id (the only one in a
 * deployment of one target), each target's, and the series they cover (all when none named).
 */
export interface Enqueued {
  job: string;
  jobs: { target: string; job: string }[];
  series: string[];
}

/** A feed check of each named series (all when none); returns the series. */
export async function enqueueFeedChecks(app: App, only: readonly string[]): Promise<string[]> {
  const ids = selectSeries(app.catalogue, only).map((s) => s.id);
  for (const series of ids)
    await app.runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' });
  return ids;
}

/** One usage check per target (or of the named one) of the named series' community images. */
export function enqueueUsageCheck(
  app: App,
  only: readonly string[],
  target?: string,
): Promise<Enqueued> {
  return perTarget(app, usageCheckQueue, only, target);
}

/** One janitor pass per target (or in the named one) over the named series, or all and staging. */
export function enqueueJanitorRun(
  app: App,
  only: readonly string[],
  target?: string,
): Promise<Enqueued> {
  // no series: every series, and staging too
  return perTarget(app, janitorQueue, only, target);
}

/** A manual job of `queue` in each target (or the named one) over the named series (all when none). */
async function perTarget(
  app: App,
  queue: typeof usageCheckQueue | typeof janitorQueue,
  only: readonly string[],
  target: string | undefined,
): Promise<Enqueued> {
  const ids = selectSeries(app.catalogue, only).map((s) => s.id);
  const jobs: Enqueued['jobs'] = [];
  for (const name of selectTargets(app.catalogue, target)) {
    const job = await app.runtime.enqueue(queue, {
      trigger: 'manual',
      target: name,
      ...(only.length > 0 ? { series: ids } : {}),
    });
    jobs.push({ target: name, job: job.id ?? '' });
  }
  return { job: jobs[0]?.job ?? '', jobs, series: ids };
}
