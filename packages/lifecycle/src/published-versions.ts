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
