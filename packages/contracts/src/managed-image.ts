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
  /**
   * The catalogue properties last applied to the image: their names, sorted, comma-separated
   * (`''`: none). Only these are ever removed when the catalogue drops them; a property the
   * feed or anyone else set is not the catalogue's to remove.
   */
  catalogueKeys: 'imagecycle_catalogue_keys',
} as const;

/**
 * Properties the uploader writes from the release itself (after the catalogue's, so they
 * win): a catalogue value for one of these never reaches an image, and the desired state
 * never touches them.
 */
export const RELEASE_PROPERTIES: ReadonlySet<string> = new Set([
  'image_source',
  'image_build_date',
  'image_description',
]);

/**
 * The properties a series' catalogue entry gives its images: every one with a value, but
 * neither a reserved name (see `reservedPropertyRule`) nor one the release supplies itself.
 */
export function catalogueProperties(
  properties: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(properties).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined &&
        reservedPropertyRule(entry[0]) === undefined &&
        !RELEASE_PROPERTIES.has(entry[0]),
    ),
  );
}

/** The value of `imagecycle_catalogue_keys` for these names. */
export function formatCatalogueKeys(names: Iterable<string>): string {
  return [...new Set(names)].sort().join(',');
}

/**
 * The names `imagecycle_catalogue_keys` lists, undefined when the image has no such property
 * (uploaded before it existed). A name the catalogue could never have given - reserved, set
 * from the release, or malformed - is dropped, so a damaged value never makes anyone remove
 * imagecycle's own state, a checksum or a release property.
 */
export function parseCatalogueKeys(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((name) => name.trim())
    .filter(
      (name) =>
        /^[A-Za-z0-9_:.-]{1,255}$/.test(name) &&
        reservedPropertyRule(name) === undefined &&
        !RELEASE_PROPERTIES.has(name),
    );
}

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
