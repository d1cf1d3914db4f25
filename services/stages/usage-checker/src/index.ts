export {
  checkUsage,
  type SeriesUsage,
  type UsageDeps,
  type UsageReport,
  usageCounts,
  usageSummary,
} from './check-usage.ts';
