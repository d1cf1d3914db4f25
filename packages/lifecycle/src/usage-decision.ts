// What the usage pass means for each community image: when it was last seen in use or since
// when it is unused, and whether it may now be reaped. Pure: the clock is a parameter.
import { PROPERTY } from '@imagecycle/contracts';
import { newestUploadFirst } from './upload-order.ts';
import { type DesiredImage, type GlanceImage, imageProperty } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';

const DAY = 24 * 3600 * 1000;

export interface UsageDecision {
  image: GlanceImage;
  desired: DesiredImage;
  /** Set when the image may be reaped now; otherwise why it is kept. */
  reap: boolean;
  keptBecause?: string;
}

export function decideUsage(
  series: Series,
  images: GlanceImage[],
  usedBy: Map<string, string[]>,
  now: Date,
): UsageDecision[] {
  const community = images
    .filter((image) => imageProperty(image, PROPERTY.state) === 'community')
    .sort(newestUploadFirst);
  const stamp = now.toISOString();
  return community.map((image, index): UsageDecision => {
    const users = usedBy.get(image.id);
    if (users?.length) {
      // Last use is recorded per day: a second check the same day writes nothing.
      const recorded = imageProperty(image, PROPERTY.lastUsedAt);
      const lastUsedAt = recorded?.slice(0, 10) === stamp.slice(0, 10) ? recorded : stamp;
      return {
        image,
        desired: {
          properties: { [PROPERTY.lastUsedAt]: lastUsedAt, [PROPERTY.unusedSince]: null },
        },
        reap: false,
        keptBecause: `in use by ${users.slice(0, 3).join(', ')}${users.length > 3 ? ` and ${users.length - 3} more` : ''}`,
      };
    }
    const unusedSince = imageProperty(image, PROPERTY.unusedSince) ?? stamp;
    const desired: DesiredImage = { properties: { [PROPERTY.unusedSince]: unusedSince } };
    const unusedDays = (now.getTime() - Date.parse(unusedSince)) / DAY;
    let keptBecause = retentionHold(series, image, index, now);
    if (!keptBecause && unusedDays < series.gracePeriodDays)
      keptBecause = `unused for ${unusedDays.toFixed(1)} of ${series.gracePeriodDays} grace days`;
    return {
      image,
      desired,
      reap: keptBecause === undefined,
      ...(keptBecause ? { keptBecause } : {}),
    };
  });
}

/**
 * Why a community image is kept whatever its usage, or undefined: protected, or inside the
 * retention floor (`index` counts community images newest upload first).
 */
export function retentionHold(
  series: Pick<Series, 'retention'>,
  image: GlanceImage,
  index: number,
  now: Date,
): string | undefined {
  const ageDays = (now.getTime() - Date.parse(image.created_at)) / DAY;
  return (
    lastingHold(series, image, index) ??
    (ageDays < series.retention.minimumAgeDays
      ? `retention floor: younger than ${series.retention.minimumAgeDays} days`
      : undefined)
  );
}

/** The holds that time does not end: protection and the newest-N floor. */
export function lastingHold(
  series: Pick<Series, 'retention'>,
  image: GlanceImage,
  index: number,
): string | undefined {
  if (image.protected) return 'protected';
  if (index < series.retention.keepLast)
    return `retention floor: one of the newest ${series.retention.keepLast}`;
  return undefined;
}
