export { checkUsage, type UsageDeps, type UsageReport } from './check-usage.ts';
export { decideUsage, retentionHold, type UsageDecision } from './decide.ts';
export { scanUsage, type UsageScan } from './usage.ts';
export { forecastReaps, type ReapForecast } from './forecast.ts';
