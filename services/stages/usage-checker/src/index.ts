export { checkUsage, type UsageDeps, type UsageReport } from './check-usage.ts';
