// The feed-watcher's handler: one series in, "new release" or "nothing new" out.
// A genuinely new release - newest upstream, not yet among the series' published versions -
// becomes exactly one download job; its deterministic id means two watchers, two triggers
// or a restart in between never start the same download twice.
// Whatever its signature says, the newest release is refused when it is not newer than the
// series' Latest (no rollback) or when it claims to come from the future (no freeze).
// What is published is the record the renamer and the janitor keep (no cloud account here);
// without one, the release is downloaded, and the uploader, which reads Glance, reuses an
// image already there and refuses a rollback itself.
// With several targets, a release one target published as its Latest and another lacks (its
// upload gave up during an outage) is downloaded again for it - as the feed lists it, or as
// it was downloaded before - whatever becomes of the newest: a newest release that fails
// verification would otherwise leave that target behind until upstream published a good one.
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
  /**
   * A release of the series downloaded before, as its feed check read it (undefined: not
   * known any more): how a target behind gets another target's Latest once the feed has
   * moved on from it.
   */
  downloadedBefore?(series: string, version: string): Promise<Release | undefined>;
  /** The clock a release date is judged by (default: the system's). */
  now?: () => Date;
  /** How many days ahead of now a release may be dated (default FUTURE_TOLERANCE_DAYS). */
  futureToleranceDays?: number;
}

/** A release downloaded again for the targets that lack another target's Latest. */
export interface CatchUp {
  version: string;
  jobId: string;
  /** False: its download was already waiting or running. */
  created: boolean;
}

export type CheckOutcome = (
  | { series: string; outcome: 'new-release'; version: string; jobId: string }
  | { series: string; outcome: 'in-flight'; version: string; jobId: string }
  | { series: string; outcome: 'nothing-new'; version: string }
  | { series: string; outcome: 'retired' }
  | { series: string; outcome: 'disabled' }
  | { series: string; outcome: 'no-releases' }
) & { catchUp?: CatchUp };

export async function checkSeries(
  payload: { series: string },
  deps: CheckSeriesDeps,
): Promise<CheckOutcome> {
  const series = deps.findSeries(payload.series);
  if (!series) throw new UnknownSeriesError(`series "${payload.series}" is not in the catalogue`);
  // switched off in the catalogue: the upstream is not even read
  if (!series.enabled) return { series: series.id, outcome: 'disabled' };
  if (series.retired) return { series: series.id, outcome: 'retired' };

  const releases = await deps.readReleases(series);
  const [newest] = releases;
  if (!newest) return { series: series.id, outcome: 'no-releases' };

  const frozen = futureRefusal(
    newest,
    deps.now?.() ?? new Date(),
    deps.futureToleranceDays ?? FUTURE_TOLERANCE_DAYS,
  );
  if (frozen) throw new ReleaseRejected(series.id, 'future-version', frozen, newest.version);

  const published = await deps.published(series.id);
  // the targets behind first: whatever the newest release turns out to be
  const ahead = published?.ahead;
  const behind =
    ahead === undefined || ahead === newest.version
      ? undefined
      : (releases.find((r) => r.version === ahead) ??
        (await deps.downloadedBefore?.(series.id, ahead)));
  const catchUp: { catchUp?: CatchUp } = behind
    ? { catchUp: { version: behind.version, ...(await deps.enqueueDownload(behind)) } }
    : {};
  const rollback = rollbackRefusal(newest.version, published?.latest);
  if (rollback) throw new ReleaseRejected(series.id, 'rollback', rollback, newest.version);

  if (published?.versions.includes(newest.version))
    return { series: series.id, outcome: 'nothing-new', version: newest.version, ...catchUp };

  const { jobId, created } = await deps.enqueueDownload(newest);
  return {
    series: series.id,
    outcome: created ? 'new-release' : 'in-flight',
    version: newest.version,
    jobId,
    ...catchUp,
  };
}
