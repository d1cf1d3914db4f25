// Whether a series' targets agree on its Latest. Each target's renamer and janitor record
// what it published and since when its Latest is what it is; targets that disagree for
// longer than an operator allows mean one fell behind (it was down, its uploads fail) - the
// `targets-disagree` event and the imagecycle_targets_disagree gauge say so. Pure.
import { compareVersions } from './version-order.ts';

/** What one target last recorded for the series (undefined latest: it has none). */
export interface TargetLatest {
  target: string;
  latest?: string | undefined;
  /** Since when `latest` has been its Latest (ISO); the record's time when unknown. */
  since?: string | undefined;
}

export interface Disagreement {
  /** The newest Latest any target has, and the targets that have it. */
  newest: string;
  ahead: string[];
  /** The targets without it, each with its own Latest (undefined: none at all). */
  behind: { target: string; latest?: string | undefined }[];
  /** Since when the first target has had the newest Latest (ISO). */
  since: string;
  /** Longer than allowed. */
  overdue: boolean;
}

/**
 * Undefined while every target has the same Latest (or none has any, or there is one target);
 * otherwise who is ahead, who is behind, since when, and whether that is longer than
 * `allowMs`. A target with no record yet counts as having no Latest.
 */
export function targetsDisagreement(
  targets: readonly TargetLatest[],
  now: Date,
  allowMs: number,
): Disagreement | undefined {
  if (targets.length < 2) return undefined;
  let newest: string | undefined;
  for (const t of targets)
    if (t.latest !== undefined && (newest === undefined || compareVersions(t.latest, newest) > 0))
      newest = t.latest;
  if (newest === undefined) return undefined;
  const ahead = targets.filter((t) => t.latest === newest);
  const behind = targets.filter((t) => t.latest !== newest);
  if (behind.length === 0) return undefined;
  const times = ahead.map((t) => Date.parse(t.since ?? '')).filter((ms) => Number.isFinite(ms));
  const sinceMs = times.length > 0 ? Math.min(...times) : now.getTime();
  return {
    newest,
    ahead: ahead.map((t) => t.target),
    behind: behind.map((t) => ({ target: t.target, latest: t.latest })),
    since: new Date(sinceMs).toISOString(),
    overdue: now.getTime() - sinceMs > allowMs,
  };
}

/** The disagreement in words, for an event or a log line. */
export function disagreementText(d: Disagreement): string {
  const behind = d.behind
    .map((b) => `${b.target} (${b.latest === undefined ? 'no Latest' : b.latest})`)
    .join(', ');
  return `${d.ahead.join(', ')} at ${d.newest} since ${d.since}; behind: ${behind}`;
}
