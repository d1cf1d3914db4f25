// The lifecycle's rules, in one place and pure: images and the clock in, decisions out. The
// stages (renamer, usage checker, reaper), the read models and the janitor all decide by
// these; none of them calls an API.
export { compareVersions, newestFirst } from './version-order.ts';
export {
  latestName,
  communityName,
  datedStem,
  numbered,
  numberIn,
  type NamingScheme,
} from './image-names.ts';
export { newestUploadFirst } from './upload-order.ts';
export { catalogueState, desiredState, type DesiredEntry, type Role } from './desired-state.ts';
export {
  decideUsage,
  isIncompleteScanMark,
  lastingHold,
  publicKeepReason,
  retentionHold,
  type UsageDecision,
} from './usage-decision.ts';
export { forecastReaps, type ReapForecast } from './reap-forecast.ts';
export { reapRefusal, REAPABLE_STATES, type ReapContext } from './reap-guard.ts';
export { REPLACE_PERIOD_DAYS, upstreamAge, type UpstreamAge } from './upstream-age.ts';
export {
  DEAD_CANDIDATE_AFTER_MS,
  janitorFindings,
  type JanitorFindings,
} from './janitor-findings.ts';
export { notADate, parseTimestamp } from './timestamps.ts';
export {
  FUTURE_TOLERANCE_DAYS,
  futureRefusal,
  newestVersion,
  rollbackRefusal,
  versionDates,
} from './release-guard.ts';
export {
  publishedEverywhere,
  publishedVersions,
  type PublishedVersions,
} from './published-versions.ts';
export {
  type Disagreement,
  disagreementText,
  type TargetLatest,
  targetsDisagreement,
} from './targets-disagree.ts';
