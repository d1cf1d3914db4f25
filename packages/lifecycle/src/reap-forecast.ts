// When a community image will be reaped, from what the last usage check recorded on it -
// the answer to "why is this image still here?". Pure: it reads image properties only and
// calls no API; the daily usage check remains the one that decides.
import { PROPERTY } from '@imagecycle/contracts';
import { newestUploadFirst } from './upload-order.ts';
import { type GlanceImage, imageProperty } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { notADate, parseTimestamp } from './timestamps.ts';
import { lastingHold } from './usage-decision.ts';

const DAY = 24 * 3600 * 1000;

export type ReapForecast =
  /**
   * Kept: protected or inside the retention floor, whatever happens; or, until it is
   * repaired, because a date on it is not a date (the usage check rewrites an unreadable
   * unused-since to its own day).
   */
  | { image: GlanceImage; outlook: 'held'; because: string }
  /** The last usage check saw it in use. */
  | { image: GlanceImage; outlook: 'in-use'; lastUsedAt: string }
  /** Unused: the first daily usage check on or after `reapAfter` reaps it (if still unused). */
  | { image: GlanceImage; outlook: 'reap-after'; unusedSince: string; reapAfter: string }
  /** No usage check has looked at it yet. */
  | { image: GlanceImage; outlook: 'unchecked' };

export function forecastReaps(
  series: Pick<Series, 'retention' | 'gracePeriodDays'>,
  images: readonly GlanceImage[],
): ReapForecast[] {
  const community = images
    .filter((image) => imageProperty(image, PROPERTY.state) === 'community')
    .sort(newestUploadFirst);
  return community.map((image, index): ReapForecast => {
    // The minimum age only postpones the reap date; these hold the image for good.
    const hold = lastingHold(series, image, index);
    if (hold) return { image, outlook: 'held', because: hold };
    const created = parseTimestamp(image.created_at);
    if (created === undefined)
      return { image, outlook: 'held', because: notADate('created_at', image.created_at) };
    const unusedSince = imageProperty(image, PROPERTY.unusedSince);
    if (unusedSince !== undefined) {
      const since = parseTimestamp(unusedSince);
      if (since === undefined)
        return { image, outlook: 'held', because: notADate(PROPERTY.unusedSince, unusedSince) };
      const graceEnds = since + series.gracePeriodDays * DAY;
      const oldEnough = created + series.retention.minimumAgeDays * DAY;
      const reapAfter = new Date(Math.max(graceEnds, oldEnough)).toISOString();
      return { image, outlook: 'reap-after', unusedSince, reapAfter };
    }
    const lastUsedAt = imageProperty(image, PROPERTY.lastUsedAt);
    if (lastUsedAt) return { image, outlook: 'in-use', lastUsedAt };
    return { image, outlook: 'unchecked' };
  });
}
