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

/** Image fields imagecycle sets itself when it creates an image (Glance's own top-level fields). */
const FIXED_IMAGE_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'owner',
  'protected',
  'os_hidden',
  'tags',
  'container_format',
  'disk_format',
  'min_disk',
  'min_ram',
]);
/** Fields Glance computes and never takes from a client. */
const GLANCE_COMPUTED_FIELDS: ReadonlySet<string> = new Set([
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'created_at',
  'updated_at',
  'locations',
  'direct_url',
  'self',
  'file',
  'schema',
]);

/**
 * Why a name may not be a property a feed or the catalogue supplies, or undefined when it
 * may: an image field imagecycle sets, a field Glance computes, Glance's `os_glance_*`, or a
 * property imagecycle writes itself (`imagecycle_*`, `upstream_checksum`). Such a name in
 * the create request would override the fixed fields - publish an image, rename it, give it
 * away, or fake its lifecycle state.
 */
export function reservedPropertyRule(name: string): string | undefined {
  if (name.startsWith('imagecycle_') || name === PROPERTY.upstreamChecksum)
    return 'imagecycle sets it itself';
  if (FIXED_IMAGE_FIELDS.has(name)) return 'an image field imagecycle sets itself, not a property';
  if (GLANCE_COMPUTED_FIELDS.has(name)) return 'an image field Glance computes, not a property';
  if (name.startsWith('os_glance_')) return 'reserved by Glance';
  return undefined;
}
