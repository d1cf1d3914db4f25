// What makes a Glance image "managed": the tag, the owner (the service's project) and
// these properties. Glance is the source of truth; every stage reads and writes these.

export const MANAGED_TAG = 'imagecycle';

/**
 * candidate: being uploaded or checked, hidden, never promotable; verified: every check passed
 * (written by the uploader as its last step), promotable; latest; community; retiring (the
 * reaper's, deactivated).
 */
export const LIFECYCLE_STATES = [
  'candidate',
  'verified',
  'latest',
  'community',
  'retiring',
] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/** Property names on managed images (Glance stores custom properties as strings). */
export const PROPERTY = {
  series: 'imagecycle_series',
  version: 'imagecycle_version',
  state: 'imagecycle_state',
  /** `<algorithm>:<hex>` of the upstream file the image was made from. */
  upstreamChecksum: 'upstream_checksum',
  lastUsedAt: 'imagecycle_last_used_at',
  unusedSince: 'imagecycle_unused_since',
  keptBecause: 'imagecycle_kept_because',
} as const;
