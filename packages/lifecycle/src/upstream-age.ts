// How old the newest upstream release is, and whether it is older than the series'
// replace_frequency (SCS image metadata) promises: then the upstream, or the check, may be
// stuck. Pure: the clock is a parameter.
const DAY = 24 * 3600 * 1000;

/** How often a series is expected to publish (SCS `replace_frequency`), in days. */
export const REPLACE_PERIOD_DAYS: Readonly<Record<string, number>> = {
  daily: 1,
  weekly: 7,
  monthly: 31,
  quarterly: 92,
  yearly: 366,
};

export interface UpstreamAge {
  /** Whole days since the build date; absent when the build date is unknown or unreadable. */
  ageDays?: number;
  /** Older than the replace frequency plus a grace of half a period (at least two days). */
  overdue: boolean;
}

export function upstreamAge(
  buildDate: string | undefined,
  replaceFrequency: string | undefined,
  now: Date,
): UpstreamAge {
  const built = buildDate ? Date.parse(buildDate) : Number.NaN;
  if (Number.isNaN(built)) return { overdue: false };
  const ageDays = Math.floor((now.getTime() - built) / DAY);
  const period = replaceFrequency ? REPLACE_PERIOD_DAYS[replaceFrequency] : undefined;
  return {
    ageDays,
    overdue: period !== undefined && ageDays > period + Math.max(2, period / 2),
  };
}
