// The feed-watcher's handler: one series in, "new release" or "nothing new" out.
// A genuinely new release - newest upstream, not yet a managed image in Glance - becomes
// exactly one download job; its deterministic id means two watchers, two triggers or a
// restart in between never start the same download twice.
import { type Release } from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import type { GlanceClient } from '@imagecycle/openstack';
import { UnknownSeriesError } from '@imagecycle/series-catalogue';

export interface WatchedSeries {
  id: string;
  title: string;
  /** End of life and retired: nothing new is published. */
  retired: boolean;
}

export interface CheckSeriesDeps {
  findSeries(id: string): WatchedSeries | undefined;
  /** The series' releases, newest first, checksums authenticated as its policy demands. */
  readReleases(series: WatchedSeries): Promise<Release[]>;
  glance: GlanceClient;
  /** The service project: owner of every managed image. */
  owner: string;
  /** Enqueues the download; `created` is false when the same job already existed. */
  enqueueDownload(release: Release): Promise<{ jobId: string; created: boolean }>;
}

export type CheckOutcome =
  | { series: string; outcome: 'new-release'; version: string; jobId: string }
  | { series: string; outcome: 'in-flight'; version: string; jobId: string }
  | { series: string; outcome: 'nothing-new'; version: string; imageId: string }
  | { series: string; outcome: 'retired' }
  | { series: string; outcome: 'no-releases' };

export async function checkSeries(
  payload: { series: string },
  deps: CheckSeriesDeps,
): Promise<CheckOutcome> {
  const series = deps.findSeries(payload.series);
  if (!series) throw new UnknownSeriesError(`series "${payload.series}" is not in the catalogue`);
  if (series.retired) return { series: series.id, outcome: 'retired' };

  const [newest] = await deps.readReleases(series);
  if (!newest) return { series: series.id, outcome: 'no-releases' };

  const existing = await listManagedImages(deps.glance, {
    owner: deps.owner,
    series: series.id,
    version: newest.version,
  });
  const known = existing[0];
  if (known)
    return {
      series: series.id,
      outcome: 'nothing-new',
      version: newest.version,
      imageId: known.id,
    };

  const { jobId, created } = await deps.enqueueDownload(newest);
  return {
    series: series.id,
    outcome: created ? 'new-release' : 'in-flight',
    version: newest.version,
    jobId,
  };
}
