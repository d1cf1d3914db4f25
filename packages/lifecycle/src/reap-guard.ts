// Whether the reaper may delete an image at all, whatever its usage: never an image of
// another owner or without the imagecycle tag, never one of another series, never a
// Latest, a candidate or a verified image, never a protected image or one inside the
// retention floor, never one whose created_at or unused-since is not a date.
// Pure: the caller reads Glance and passes what it found.
import { MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import { type GlanceImage, imageProperty } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { notADate, parseTimestamp } from './timestamps.ts';
import { retentionHold } from './usage-decision.ts';

/** States the reaper may act on: community, and retiring (a reap cut short resumes). */
export const REAPABLE_STATES: ReadonlySet<string> = new Set(['community', 'retiring']);

export interface ReapContext {
  /** The service's project: the owner of every managed image. */
  owner: string;
  /** The series the reap job names. */
  seriesId: string;
  /** That series in the catalogue, if it is there. */
  series: Pick<Series, 'retention'> | undefined;
  /** The image's place among the series' reapable images, newest upload first (-1: absent). */
  rank: number;
  now: Date;
}

/** Why this image must never be reaped, or undefined when it may be. */
export function reapRefusal(image: GlanceImage, context: ReapContext): string | undefined {
  if (image.owner !== context.owner) return `owned by project ${image.owner}, not the service's`;
  if (!image.tags.includes(MANAGED_TAG)) return `has no "${MANAGED_TAG}" tag`;
  const series = imageProperty(image, PROPERTY.series);
  if (series !== context.seriesId) return `belongs to series ${series ?? '(none)'}`;
  const state = imageProperty(image, PROPERTY.state);
  if (!REAPABLE_STATES.has(state ?? '')) return `is ${state ?? 'unmanaged'}, not community`;
  if (image.protected) return 'protected';
  if (!context.series) return `series ${context.seriesId} is not in the catalogue`;
  const unusedSince = imageProperty(image, PROPERTY.unusedSince);
  if (unusedSince !== undefined && parseTimestamp(unusedSince) === undefined)
    return notADate(PROPERTY.unusedSince, unusedSince);
  return retentionHold(
    context.series,
    image,
    context.rank < 0 ? Number.MAX_SAFE_INTEGER : context.rank,
    context.now,
  );
}
