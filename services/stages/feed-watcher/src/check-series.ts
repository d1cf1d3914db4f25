// The feed-watcher's handler: one series in, "new release" or "nothing new" out.
// A genuinely new release - newest upstream, not yet among the series' published versions -
// becomes exactly one download job; its deterministic id means two watchers, two triggers
// or a restart in between never start the same download twice.
// Whatever its signature says, the newest release is refused when it is not newer than the
// series' Latest (no rollback) or when it claims to come from the future (no freeze).
// What is published is the record the renamer and the janitor keep (no cloud account here);
// without one, the release is downloaded, and the uploader, which reads Glance, reuses an
// image already there and refuses a rollback itself.
import type { Release } from '@imagecycle/contracts';
import {
  FUTURE_TOLERANCE_DAYS,
  futureRefusal,
  type PublishedVersions,
  rollbackRefusal,
} from '@imagecycle/lifecycle';
import { UnknownSeriesError } from '@imagecycle/series-catalogue';
import { ReleaseRejected } from './rejection.ts';

export interface WatchedSeries {
  id: string;
  title: string;
  /** End of life and retired: nothing new is published. */
  retired: boolean;
  /** Switched off in the catalogue: not checked at all. */
  enabled: boolean;
}

export interface CheckSeriesDeps {
  findSeries(id: string): WatchedSeries | undefined;
  /** The series' releases, newest first, checksums authenticated as its policy demands. */
  readReleases(series: WatchedSeries): Promise<Release[]>;
  /** What the series has published, as last recorded; undefined when nothing is recorded. */
  published(series: string): Promise<PublishedVersions | undefined>;
  /** Enqueues the download; `created` is false when the same job already existed. */
  enqueueDownload(release: Release): Promise<{ jobId: string; created: boolean }>;
  /** The clock a release date is judged by (default: the system's). */
  now?: () => Date;
  /** How many days ahead of now a release may be dated (default FUTURE_TOLERANCE_DAYS). */
  futureToleranceDays?: number;
}

export type CheckOutcome =
  | { series: string; outcome: 'new-release'; version: string; jobId: string }
  | { series: string; outcome: 'in-flight'; version: string; jobId: string }
  | { series: string; outcome: 'nothing-new'; version: string }
  | { series: string; outcome: 'retired' }
  | { series: string; outcome: 'disabled' }
  | { series: string; outcome: 'no-releases' };

export async function checkSeries(
  payload: { series: string },
  deps: CheckSeriesDeps,
): Promise<CheckOutcome> {
  const series = deps.findSeries(payload.series);
  if (!series) throw new UnknownSeriesError(`series "${payload.series}" is not in the catalogue`);
  // switched off in the catalogue: the upstream is not even read
  if (!series.enabled) return { series: series.id, outcome: 'disabled' };
  if (series.retired) return { series: series.id, outcome: 'retired' };

  const [newest] = await deps.readReleases(series);
  if (!newest) return { series: series.id, outcome: 'no-releases' };

  const frozen = futureRefusal(
    newest,
    deps.now?.() ?? new Date(),
    deps.futureToleranceDays ?? FUTURE_TOLERANCE_DAYS,
  );
  if (frozen) throw new ReleaseRejected(series.id, 'future-version', frozen, newest.version);

  const published = await deps.published(series.id);
  const rollback = rollbackRefusal(newest.version, published?.latest);
  if (rollback) throw new ReleaseRejected(series.id, 'rollback', rollback, newest.version);

  if (published?.versions.includes(newest.version))
    return { series: series.id, outcome: 'nothing-new', version: newest.version };

  const { jobId, created } = await deps.enqueueDownload(newest);
  return {
    series: series.id,
    outcome: created ? 'new-release' : 'in-flight',
    version: newest.version,
    jobId,
  };
}
