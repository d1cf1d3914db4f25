export { listManagedImages, type ManagedImageQuery } from './managed-images.ts';
export { scanUsage, type UsageScan } from './usage-scan.ts';
