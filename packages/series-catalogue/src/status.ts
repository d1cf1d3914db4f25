// Support status of a series: end-of-life series are still served and flagged, never dropped.
import type { Series, SeriesStatus } from './types.ts';

const DAY_MS = 86_400_000;

/**
 * `end-of-life` once `now` is past the series' endOfLife day (the date is the last
 * supported day, read in UTC); `supported` otherwise, and when no date is known.
 */
export function seriesStatus(
  series: Pick<Series, 'endOfLife'>,
  now: Date = new Date(),
): SeriesStatus {
  if (series.endOfLife === undefined) return 'supported';
  const lastDay = Date.parse(`${series.endOfLife}T00:00:00Z`);
  return now.getTime() >= lastDay + DAY_MS ? 'end-of-life' : 'supported';
}
