export {
  MANAGED_TAG,
  LIFECYCLE_STATES,
  PROPERTY,
  reservedPropertyRule,
  RELEASE_PROPERTIES,
  catalogueProperties,
  formatCatalogueKeys,
  parseCatalogueKeys,
  type LifecycleState,
} from './managed-image.ts';
export {
  releaseSchema,
  checksumSchema,
  formatChecksum,
  DISK_FORMATS,
  COMPRESSIONS,
  type Release,
  type Checksum,
} from './release.ts';
export {
  feedCheckQueue,
  downloadQueue,
  uploadQueue,
  uploadJobId,
  reconcileQueue,
  usageCheckQueue,
  reapQueue,
  janitorQueue,
  artifactSchema,
  type Artifact,
  allQueues,
  JOB_HISTORY,
} from './queues.ts';
export { Rejection, REJECTION_REASONS, type RejectionReason } from './rejection.ts';
export {
  stagingPaths,
  stagingMarker,
  stagingMarkerSchema,
  markerFits,
  type StagingPaths,
  type StagingMarker,
} from './staging.ts';
