// What a series has published, in the two facts the feed-watcher decides by: the version of
// its Latest (or of a verified image about to become it: the rollback guard's floor) and
// every version Glance holds for it in any state (a release already there is not downloaded
// again). The stages that list the series' images with the publishing account (the renamer
// after each reconcile, the janitor on each pass) record it, so the feed-watcher needs no
// cloud account at all. Pure: the series' managed images in, the two facts out.
import { PROPERTY } from '@imagecycle/contracts';
import { type GlanceImage, imageProperty } from '@imagecycle/openstack';
import { newestVersion } from './release-guard.ts';
import { compareVersions } from './version-order.ts';

/** The states that are, or are about to become, the series' Latest. */
const LATEST_STATES = new Set(['latest', 'verified']);

export interface PublishedVersions {
  /** The newest version in a Latest state; undefined while the series has none. */
  latest?: string;
  /** Every version of the series' managed images, oldest first by version order, each once. */
  versions: string[];
  /**
   * With several targets whose Latests differ: the newest of them, which the targets behind
   * lack (a release some target published and another gave up on). Undefined otherwise.
   */
  ahead?: string;
}

export function publishedVersions(images: readonly GlanceImage[]): PublishedVersions {
  const versions = new Set<string>();
  const latestCandidates: string[] = [];
  for (const image of images) {
    const version = imageProperty(image, PROPERTY.version);
    if (version === undefined || version === '') continue;
    versions.add(version);
    if (LATEST_STATES.has(imageProperty(image, PROPERTY.state) ?? ''))
      latestCandidates.push(version);
  }
  const latest = newestVersion(latestCandidates);
  return {
    ...(latest === undefined ? {} : { latest }),
    versions: [...versions].sort(compareVersions),
  };
}

/**
 * What every target has published, for the feed-watcher's one decision per release: a
 * version counts as there only when every target holds it, and the rollback floor is the
 * Latest of the target furthest behind (a release newer than that target's Latest is new to
 * it; the uploader refuses it, as a rollback, in a target that is ahead). Undefined when a
 * target has no record: that target's state is unknown, so nothing is skipped for it.
 */
export function publishedEverywhere(
  perTarget: readonly (PublishedVersions | undefined)[],
): PublishedVersions | undefined {
  if (perTarget.length === 0 || perTarget.some((p) => p === undefined)) return undefined;
  const records = perTarget as readonly PublishedVersions[];
  const [first, ...rest] = records;
  if (!first) return undefined;
  const versions = first.versions.filter((v) => rest.every((r) => r.versions.includes(v)));
  let latest: string | undefined = first.latest;
  for (const record of rest) {
    if (latest === undefined || record.latest === undefined) {
      latest = undefined;
      break;
    }
    if (compareVersions(record.latest, latest) < 0) latest = record.latest;
  }
  const newest = newestVersion(records.flatMap((r) => (r.latest === undefined ? [] : [r.latest])));
  const ahead = newest !== undefined && !versions.includes(newest) ? newest : undefined;
  return {
    ...(latest === undefined ? {} : { latest }),
    versions,
    ...(ahead === undefined ? {} : { ahead }),
  };
}
