// What the usage pass means for each community image: when it was last seen in use or since
// when it is unused, and whether it may now be reaped. Pure: the clock is a parameter.
// Dates fail closed: an unused-since or created_at that is not a date keeps the image (the
// reason names it); an unreadable unused-since is rewritten to now, so the grace period
// starts again from a date that reads.
import { PROPERTY } from '@imagecycle/contracts';
import { notADate, parseTimestamp } from './timestamps.ts';
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
    const recorded = imageProperty(image, PROPERTY.unusedSince);
    const since = recorded === undefined ? now.getTime() : parseTimestamp(recorded);
    // an unreadable record is replaced by today: kept now, reaped no earlier than a grace later
    const unusedSince = recorded !== undefined && since !== undefined ? recorded : stamp;
    const desired: DesiredImage = { properties: { [PROPERTY.unusedSince]: unusedSince } };
    let keptBecause =
      retentionHold(series, image, index, now) ??
      (since === undefined ? notADate(PROPERTY.unusedSince, recorded) : undefined);
    const unusedDays = (now.getTime() - (since ?? now.getTime())) / DAY;
    if (!keptBecause && !(unusedDays >= series.gracePeriodDays))
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
 * retention floor (`index` counts community images newest upload first), or its age unknown
 * because its created_at is not a date.
 */
export function retentionHold(
  series: Pick<Series, 'retention'>,
  image: GlanceImage,
  index: number,
  now: Date,
): string | undefined {
  const lasting = lastingHold(series, image, index);
  if (lasting) return lasting;
  const created = parseTimestamp(image.created_at);
  if (created === undefined) return notADate('created_at', image.created_at);
  const ageDays = (now.getTime() - created) / DAY;
  return ageDays >= series.retention.minimumAgeDays
    ? undefined
    : `retention floor: younger than ${series.retention.minimumAgeDays} days`;
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

const INCOMPLETE_SCAN = 'usage scan incomplete';

/**
 * Why an image stays, in the words its `imagecycle_kept_because` property may carry: the
 * property is visible to every project that sees the image, so it never names another
 * project's servers, volumes or projects. The full reason goes to imagecycle's events, which
 * only operators read.
 */
export function publicKeepReason(because: string, now: Date): string {
  if (because.startsWith('in use')) return `in use, last seen ${now.toISOString().slice(0, 10)}`;
  if (because.startsWith(INCOMPLETE_SCAN))
    return `${INCOMPLETE_SCAN}: kept until a scan can prove it unused`;
  // the holds of imagecycle's own (protected, retention floor, unreadable dates) name no tenant
  return because;
}

/** Whether a kept-because property is the mark of an incomplete usage scan. */
export const isIncompleteScanMark = (value: string | undefined): boolean =>
  value?.startsWith(INCOMPLETE_SCAN) ?? false;
