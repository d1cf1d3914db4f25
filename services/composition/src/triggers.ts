// Work started by hand, from the CLI (`imagecycle run|usage-check|janitor`) and the API
// (`POST /api/checks|usage-checks|janitor-runs`) alike: one place that names the series and
// enqueues the job, so both ways in do the same thing. A series not in the catalogue is an
// UnknownSeriesError naming it, before anything is enqueued.
import { feedCheckQueue, janitorQueue, usageCheckQueue } from '@imagecycle/contracts';
import { selectSeries } from '@imagecycle/series-catalogue';
import type { App } from './app.ts';

/** A job enqueued over some series: its id, and the series it covers (all when none named). */
export interface Enqueued {
  job: string;
  series: string[];
}

/** A feed check of each named series (all when none); returns the series. */
export async function enqueueFeedChecks(app: App, only: readonly string[]): Promise<string[]> {
  const ids = selectSeries(app.catalogue, only).map((s) => s.id);
  for (const series of ids)
    await app.runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' });
  return ids;
}

/** One usage check of the named series' community images (all when none). */
export async function enqueueUsageCheck(app: App, only: readonly string[]): Promise<Enqueued> {
  const ids = selectSeries(app.catalogue, only).map((s) => s.id);
  const job = await app.runtime.enqueue(usageCheckQueue, {
    trigger: 'manual',
    ...(only.length > 0 ? { series: ids } : {}),
  });
  return { job: job.id ?? '', series: ids };
}

/** One janitor pass over the named series, or over all of them and staging. */
export async function enqueueJanitorRun(app: App, only: readonly string[]): Promise<Enqueued> {
  const ids = selectSeries(app.catalogue, only).map((s) => s.id);
  const job = await app.runtime.enqueue(janitorQueue, {
    trigger: 'manual',
    // no series: every series, and staging too
    ...(only.length > 0 ? { series: ids } : {}),
  });
  return { job: job.id ?? '', series: ids };
}
