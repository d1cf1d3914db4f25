// Which upstream releases may become a series' Latest at all, whatever their signature says:
// never one that is not newer than the current Latest (no rollback: an upstream, or whoever
// controls its feed, cannot take a series back to an older build, signed or not), and never
// one that claims to come from the future (no freeze: a version dated years ahead would be
// "newer" than every genuine release to come and stop the series for good). Pure: the
// versions, the dates and the clock in, a refusal out.
import { parseTimestamp } from './timestamps.ts';
import { compareVersions } from './version-order.ts';

const DAY = 24 * 3600 * 1000;

/** How far ahead of the clock a release date may be before it is refused (time zones, clock skew). */
export const FUTURE_TOLERANCE_DAYS = 2;

/**
 * Why `candidate` may not replace the Latest `latest`, or undefined when it is newer. The
 * same version is not a rollback (it is the Latest itself: nothing to publish).
 */
export function rollbackRefusal(candidate: string, latest: string | undefined): string | undefined {
  if (latest === undefined || candidate === latest) return undefined;
  if (compareVersions(candidate, latest) > 0) return undefined;
  return `the feed's newest version ${candidate} is not newer than the series' Latest ${latest}: a rollback is never published`;
}

/** The newest of `versions` by the feed order rule (undefined for none). */
export function newestVersion(versions: Iterable<string>): string | undefined {
  let newest: string | undefined;
  for (const v of versions) if (newest === undefined || compareVersions(v, newest) > 0) newest = v;
  return newest;
}

/**
 * Calendar dates a version id carries: every run of exactly eight digits that is a real day
 * `YYYYMMDD` (Ubuntu `20261101.1`, Debian `20261101-1502`, Alma `9.6-20261101`, Stream
 * `9-20261101.0`, CoreOS `44.20261018.3.0`). Other digit runs are not dates.
 */
export function versionDates(version: string): string[] {
  const out: string[] = [];
  for (const match of version.matchAll(/(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)/g)) {
    const iso = `${match[1]}-${match[2]}-${match[3]}`;
    if (parseTimestamp(iso) !== undefined) out.push(iso);
  }
  return out;
}

/**
 * Why a release dated in the future is refused, or undefined: its build/release date, or a
 * date its version carries, more than `toleranceDays` after `now`.
 */
export function futureRefusal(
  release: { version: string; buildDate?: string | undefined },
  now: Date,
  toleranceDays = FUTURE_TOLERANCE_DAYS,
): string | undefined {
  const limit = now.getTime() + toleranceDays * DAY;
  const claims: Array<[string, string]> = versionDates(release.version).map((d) => [
    `its version ${release.version} is dated`,
    d,
  ]);
  if (release.buildDate) claims.push(['its release date is', release.buildDate]);
  for (const [what, date] of claims) {
    const time = parseTimestamp(date) ?? Date.parse(date);
    if (Number.isNaN(time) || time <= limit) continue;
    return `${what} ${date.slice(0, 10)}, more than ${toleranceDays} day(s) after now (${now.toISOString().slice(0, 10)}): a version from the future would freeze the series`;
  }
  return undefined;
}
