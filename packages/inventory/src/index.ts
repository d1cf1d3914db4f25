export { listManagedImages, type ManagedImageQuery } from './managed-images.ts';
export {
  type ComputeRegion,
  mergeUsageScans,
  scanUsage,
  scanUsageInRegions,
  type UsageScan,
} from './usage-scan.ts';
