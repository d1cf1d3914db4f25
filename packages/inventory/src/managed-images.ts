// The managed images of a series, as Glance has them. An image is managed when it carries
// the imagecycle tag AND belongs to the service's own project: a tenant can tag its own
// image, but it can never make imagecycle own it.
import { MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import type { GlanceClient, GlanceImage } from '@imagecycle/openstack';

export interface ManagedImageQuery {
  /** The service's project id: the owner of every managed image. */
  owner: string;
  series?: string;
  version?: string;
}

/**
 * Every managed image matching the query, whatever its visibility and whether hidden or not.
 * Glance lists hidden images only when asked (`os_hidden=true`), so it takes two listings.
 */
export async function listManagedImages(
  glance: GlanceClient,
  query: ManagedImageQuery,
): Promise<GlanceImage[]> {
  const properties: Record<string, string> = {};
  if (query.series) properties[PROPERTY.series] = query.series;
  if (query.version) properties[PROPERTY.version] = query.version;
  const filters = {
    visibility: 'all' as const,
    owner: query.owner,
    tags: [MANAGED_TAG],
    properties,
  };
  const [shown, hidden] = await Promise.all([
    glance.listAllImages(filters),
    glance.listAllImages({ ...filters, os_hidden: true }),
  ]);
  const byId = new Map<string, GlanceImage>();
  for (const image of [...shown, ...hidden]) {
    if (image.owner === query.owner && image.tags.includes(MANAGED_TAG)) byId.set(image.id, image);
  }
  return [...byId.values()];
}
