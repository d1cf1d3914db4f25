// Which images are in use: one paged pass over every server of every project (every status,
// soft-deleted ones included) and every volume (volume_image_metadata.image_id). The number of
// API calls grows with servers and volumes, never with images.
//
// A reap may only follow a scan that is provably complete, and both services can silently
// answer with less than everything:
//   Cinder  drops `all_tenants` (and every filter its resource_filters does not grant users)
//           for a caller that is not admin, and lists the caller's own project. Two proofs of
//           the admin view: the caller holds an admin role, and a listing filtered to a
//           project that does not exist comes back empty (a narrowed listing drops the filter
//           and shows the caller's own volumes)
//   Nova    leaves SOFT_DELETED servers out of the default listing (a restore brings them
//           back: they are listed with deleted=true&status=SOFT_DELETED), and before
//           microversion 2.69 leaves out the servers of a cell that does not answer; from 2.69
//           they appear as partial records with status UNKNOWN and no image
// Every such doubt becomes a reason in `incomplete`; the callers reap nothing while it is
// not empty, and say why.
import {
  type CinderClient,
  type NovaClient,
  OpenStackHttpError,
  type Server,
} from '@imagecycle/openstack';

export interface UsageScan {
  /** image id -> what uses it, e.g. "server 1234 (ACTIVE)" */
  usedBy: Map<string, string[]>;
  /** Servers counted, soft-deleted ones included. */
  servers: number;
  softDeleted: number;
  volumes: number;
  /** Why this scan cannot prove an image unused; empty when it is complete. */
  incomplete: string[];
}

export interface UsageScanOptions {
  /** Page size of the listings (default 1000). */
  pageSize?: number;
  /** Only the servers booted from this image (Nova's filter; volumes are listed whole). */
  image?: string;
  /** Roles that make a caller admin in Cinder's policy (default: admin). */
  adminRoles?: readonly string[];
}

/** A project id no cloud has (Keystone ids are 32 hex digits). */
const NO_SUCH_PROJECT = 'imagecycle-probe-no-such-project';

/** The reason a listing was refused, for a 403; other errors are thrown as they are. */
function refusal(error: unknown, what: string): string {
  if (error instanceof OpenStackHttpError && error.status === 403)
    return `${what} refused (403${error.serviceMessage ? `: ${error.serviceMessage}` : ''}): the account may not list every project`;
  throw error;
}

export async function scanUsage(
  nova: NovaClient,
  cinder: CinderClient,
  options: UsageScanOptions = {},
): Promise<UsageScan> {
  const limit = options.pageSize ?? 1000;
  const adminRoles = options.adminRoles ?? ['admin'];
  const usedBy = new Map<string, string[]>();
  const incomplete: string[] = [];
  const use = (imageId: string | undefined, what: string) => {
    if (!imageId) return;
    const list = usedBy.get(imageId) ?? [];
    list.push(what);
    usedBy.set(imageId, list);
  };
  let servers = 0;
  let softDeleted = 0;
  let volumes = 0;
  const unknown: Server[] = [];
  const onServer = (server: Server) => {
    servers += 1;
    if (server.status === 'UNKNOWN') unknown.push(server);
    // Servers booted from a volume have an empty `image`; their volume names the image.
    use(
      server.image && typeof server.image === 'object' ? server.image.id : undefined,
      `server ${server.id} (${server.status})`,
    );
  };

  const liveServers = async () => {
    if (!(await nova.listsDownCells()))
      incomplete.push(
        `compute API offers microversion ${await nova.maximumMicroversion()} (< 2.69): servers in a cell that does not answer would be left out unseen`,
      );
    try {
      for await (const server of nova.listServers({
        allTenants: true,
        image: options.image,
        limit,
      }))
        onServer(server);
    } catch (error) {
      incomplete.push(refusal(error, 'compute: listing every project’s servers'));
    }
  };
  const softDeletedServers = async () => {
    try {
      const listing = nova.listServers({
        allTenants: true,
        deleted: true,
        status: 'SOFT_DELETED',
        image: options.image,
        limit,
      });
      // deleted=true also lists servers deleted for good (status DELETED): they use nothing
      for await (const server of listing)
        if (server.status === 'SOFT_DELETED') {
          softDeleted += 1;
          onServer(server);
        }
    } catch (error) {
      incomplete.push(refusal(error, 'compute: listing soft-deleted servers'));
    }
  };
  const allVolumes = async () => {
    const caller = await cinder.caller();
    if (!caller.roles.some((role) => adminRoles.includes(role)))
      incomplete.push(
        `block-storage: the account has no admin role (${adminRoles.join('/')}; it has ${caller.roles.join(', ') || 'none'}), so Cinder lists only project ${caller.projectId ?? '(unscoped)'}`,
      );
    for await (const volume of cinder.listVolumes({ allTenants: true, limit })) {
      volumes += 1;
      use(volume.volume_image_metadata?.image_id, `volume ${volume.id} (${volume.status})`);
    }
    for await (const stray of cinder.listVolumes({
      allTenants: true,
      projectId: NO_SUCH_PROJECT,
      limit: 1,
    })) {
      incomplete.push(
        `block-storage: a listing filtered to no project returned volume ${stray.id}: Cinder dropped the filters, so it lists one project, not every project`,
      );
      break;
    }
  };

  await Promise.all([liveServers(), softDeletedServers(), allVolumes()]);
  if (unknown.length)
    incomplete.push(
      `compute: ${unknown.length} server(s) in a cell that does not answer (status UNKNOWN, e.g. ${unknown
        .slice(0, 3)
        .map((s) => `${s.id} of project ${s.tenant_id}`)
        .join(', ')}): their images are unknown`,
    );
  return { usedBy, servers, softDeleted, volumes, incomplete };
}

/** The reading account's Nova and Cinder in one compute region. */
export interface ComputeRegion {
  region: string;
  nova: NovaClient;
  cinder: CinderClient;
}

/**
 * One scan over several compute regions that boot from one Glance (a Glance shared by
 * regions): an image is in use if a server or volume of any of them uses it, and the scan is
 * complete only if every region's is. Each use and each doubt names its region.
 */
export async function scanUsageInRegions(
  regions: readonly ComputeRegion[],
  options: UsageScanOptions = {},
): Promise<UsageScan> {
  if (regions.length === 0) throw new Error('scanUsageInRegions: no compute region to scan');
  const scans = await Promise.all(
    regions.map(async ({ region, nova, cinder }) => ({
      region,
      scan: await scanUsage(nova, cinder, options),
    })),
  );
  return mergeUsageScans(scans);
}

/** The scans of several regions as one; with more than one, every entry names its region. */
export function mergeUsageScans(scans: readonly { region: string; scan: UsageScan }[]): UsageScan {
  const named = scans.length > 1;
  const merged: UsageScan = {
    usedBy: new Map(),
    servers: 0,
    softDeleted: 0,
    volumes: 0,
    incomplete: [],
  };
  for (const { region, scan } of scans) {
    const where = (text: string) => (named ? `${text} in ${region}` : text);
    merged.servers += scan.servers;
    merged.softDeleted += scan.softDeleted;
    merged.volumes += scan.volumes;
    for (const doubt of scan.incomplete)
      merged.incomplete.push(named ? `${region}: ${doubt}` : doubt);
    for (const [imageId, users] of scan.usedBy)
      merged.usedBy.set(imageId, [...(merged.usedBy.get(imageId) ?? []), ...users.map(where)]);
  }
  return merged;
}
