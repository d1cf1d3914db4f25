export { checkUsage, type UsageDeps, type UsageReport } from './check-usage.ts';
export { decideUsage, type UsageDecision } from './decide.ts';
export { scanUsage, type UsageScan } from './usage.ts';
