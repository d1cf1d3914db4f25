// Which images are in use: one paged pass over every server of every project (every
// status) and every volume (volume_image_metadata.image_id). The number of API calls grows
// with servers and volumes, never with images.
import type { CinderClient, NovaClient } from '@imagecycle/openstack';

export interface UsageScan {
  /** image id -> what uses it, e.g. "server 1234 (ACTIVE)" */
  usedBy: Map<string, string[]>;
  servers: number;
  volumes: number;
}

export async function scanUsage(
  nova: NovaClient,
  cinder: CinderClient,
  pageSize = 1000,
): Promise<UsageScan> {
  const usedBy = new Map<string, string[]>();
  const use = (imageId: string | undefined, what: string) => {
    if (!imageId) return;
    const list = usedBy.get(imageId) ?? [];
    list.push(what);
    usedBy.set(imageId, list);
  };
  let servers = 0;
  let volumes = 0;
  for await (const server of nova.listServers({ allTenants: true, limit: pageSize })) {
    servers += 1;
    // Servers booted from a volume have an empty `image`; their volume names the image.
    use(
      server.image && typeof server.image === 'object' ? server.image.id : undefined,
      `server ${server.id} (${server.status})`,
    );
  }
  for await (const volume of cinder.listVolumes({ allTenants: true, limit: pageSize })) {
    volumes += 1;
    use(volume.volume_image_metadata?.image_id, `volume ${volume.id} (${volume.status})`);
  }
  return { usedBy, servers, volumes };
}
