// OpenStack calls only tests and benchmarks make: Glance tags and interoperable import, the
// Cinder volume lifecycle, whole listings collected into arrays. The production clients
// carry just what the services use; these go through the client's session (its endpoint
// lookup and its authenticated request), so they retry, re-authenticate and fail the same way.
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  OpenStackHttpError,
  type OpenStackClient,
  type Server,
  type Volume,
} from '@imagecycle/openstack';

type Spec = Parameters<OpenStackClient['session']['request']>[0];
type Call = Omit<Spec, 'service' | 'url'> & { path: string };

/** Glance's root URL (the catalogue may or may not include /v2). */
async function glance(client: OpenStackClient, call: Call) {
  const root = (await client.session.endpoint('image')).replace(/\/v2(\.\d+)?$/, '');
  const { path, ...rest } = call;
  return client.session.request({ ...rest, service: 'image', url: `${root}${path}` });
}

/** The catalogue's Cinder URL already carries the project id (/v3/<project>). */
async function cinder(client: OpenStackClient, call: Call) {
  const base = await client.session.endpoint('block-storage');
  const { path, ...rest } = call;
  return client.session.request({ ...rest, service: 'block-storage', url: `${base}${path}` });
}

const image = (id: string) => `/v2/images/${encodeURIComponent(id)}`;

// --- Glance ----------------------------------------------------------------------------

export async function addImageTag(client: OpenStackClient, id: string, tag: string) {
  await glance(client, {
    method: 'PUT',
    path: `${image(id)}/tags/${encodeURIComponent(tag)}`,
    expect: [204],
  });
}

export async function removeImageTag(client: OpenStackClient, id: string, tag: string) {
  await glance(client, {
    method: 'DELETE',
    path: `${image(id)}/tags/${encodeURIComponent(tag)}`,
    expect: [204, 404],
  });
}

/** The interoperable import methods the cloud offers (glance-direct, web-download, ...). */
export async function importMethods(client: OpenStackClient): Promise<string[]> {
  const reply = await glance(client, { method: 'GET', path: '/v2/info/import', expect: [200] });
  const body = JSON.parse(reply.body) as { 'import-methods': { value: string[] } };
  return body['import-methods'].value;
}

/** Sends a file into an image's staging area, for a later glance-direct import. */
export async function stageImageData(client: OpenStackClient, id: string, path: string) {
  const { size } = await stat(path);
  await glance(client, {
    method: 'PUT',
    path: `${image(id)}/stage`,
    file: { path, size },
    headers: { 'content-type': 'application/octet-stream' },
    expect: [204],
    responseTimeoutMs: 10 * 60_000,
  });
}

/** Starts an interoperable import: glance-direct (after staging) or web-download. */
export async function importImage(
  client: OpenStackClient,
  id: string,
  method: { name: 'glance-direct' } | { name: 'web-download'; uri: string },
) {
  await glance(client, {
    method: 'POST',
    path: `${image(id)}/import`,
    json: { method },
    expect: [202],
  });
}

// --- Nova --------------------------------------------------------------------------------

/** Every server of a listing, every page. */
export async function listAllServers(
  client: OpenStackClient,
  options: Parameters<OpenStackClient['nova']['listServers']>[0] = {},
): Promise<Server[]> {
  const servers: Server[] = [];
  for await (const server of client.nova.listServers(options)) servers.push(server);
  return servers;
}

/**
 * Every soft-deleted server of every project (admin): Nova leaves them out of its default
 * listing, and shows them only for deleted=true&status=SOFT_DELETED. Asked here directly, not
 * through the production client, so a check built on it does not share that client's defects.
 */
export async function listSoftDeletedServers(client: OpenStackClient): Promise<Server[]> {
  const base = await client.session.endpoint('compute');
  const servers: Server[] = [];
  const limit = 500;
  for (let marker: string | undefined; ;) {
    const query = new URLSearchParams({
      all_tenants: '1',
      deleted: 'true',
      status: 'SOFT_DELETED',
      limit: String(limit),
      ...(marker ? { marker } : {}),
    });
    const reply = await client.session.request({
      method: 'GET',
      service: 'compute',
      url: `${base}/servers/detail?${query.toString()}`,
      expect: [200],
    });
    const page = (JSON.parse(reply.body) as { servers: Server[] }).servers;
    // deleted=true lists servers deleted for good too (status DELETED): they use nothing
    servers.push(...page.filter((server) => server.status === 'SOFT_DELETED'));
    if (page.length < limit) return servers;
    marker = page.at(-1)?.id;
  }
}

// --- Cinder ------------------------------------------------------------------------------

/** Every volume of a listing, every page. */
export async function listAllVolumes(
  client: OpenStackClient,
  options: Parameters<OpenStackClient['cinder']['listVolumes']>[0] = {},
): Promise<Volume[]> {
  const volumes: Volume[] = [];
  for await (const volume of client.cinder.listVolumes(options)) volumes.push(volume);
  return volumes;
}

export async function createVolume(
  client: OpenStackClient,
  volume: { size: number; name?: string; imageRef?: string },
): Promise<Volume> {
  const reply = await cinder(client, {
    method: 'POST',
    path: '/volumes',
    json: { volume },
    expect: [202],
  });
  return (JSON.parse(reply.body) as { volume: Volume }).volume;
}

export async function getVolume(client: OpenStackClient, id: string): Promise<Volume> {
  const reply = await cinder(client, {
    method: 'GET',
    path: `/volumes/${encodeURIComponent(id)}`,
    expect: [200],
  });
  return (JSON.parse(reply.body) as { volume: Volume }).volume;
}

/**
 * Marks a volume detached and available (admin: os-reset_status), for a volume whose server is
 * gone but whose attachment Cinder kept: a Cinder that requires Nova's service token for an
 * attachment delete (ConflictNovaUsingAttachment) refuses Nova's own detach when Nova sends
 * none, and the volume stays in-use forever.
 */
export async function resetVolumeToDetached(admin: OpenStackClient, id: string): Promise<void> {
  await cinder(admin, {
    method: 'POST',
    path: `/volumes/${encodeURIComponent(id)}/action`,
    json: { 'os-reset_status': { status: 'available', attach_status: 'detached' } },
    expect: [202],
  });
}

/** Deletes a volume; one already gone counts as deleted (returns false). */
export async function deleteVolume(client: OpenStackClient, id: string): Promise<boolean> {
  const reply = await cinder(client, {
    method: 'DELETE',
    path: `/volumes/${encodeURIComponent(id)}`,
    expect: [202, 404],
  });
  return reply.status === 202;
}

/** Polls until the volume reaches a target status; `error` ends the wait at once. */
export async function waitForVolumeStatus(
  client: OpenStackClient,
  id: string,
  targets: readonly string[],
  timeoutMs: number,
): Promise<Volume> {
  const deadline = Date.now() + timeoutMs;
  for (let interval = 250; ; interval = Math.min(3000, Math.round(interval * 1.5))) {
    const volume = await getVolume(client, id);
    if (targets.includes(volume.status)) return volume;
    if (volume.status === 'error')
      throw new Error(`volume ${id} went to error while waiting for ${targets.join('/')}`);
    if (Date.now() + interval > deadline)
      throw new Error(
        `volume ${id} still ${volume.status} after ${Math.round(timeoutMs / 1000)} s waiting for ${targets.join('/')}`,
      );
    await sleep(interval);
  }
}

/** Polls until Cinder answers 404 for the volume. */
export async function waitForVolumeGone(
  client: OpenStackClient,
  id: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await getVolume(client, id);
    } catch (error) {
      if (error instanceof OpenStackHttpError && error.status === 404) return;
      throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`volume ${id} not gone after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(300);
  }
}

// --- Nova server states ------------------------------------------------------------------

/** Nova's URL for a path (its own microversion default, 2.1, suits the actions below). */
async function compute(client: OpenStackClient, call: Call) {
  const base = await client.session.endpoint('compute');
  const { path, ...rest } = call;
  return client.session.request({ ...rest, service: 'compute', url: `${base}${path}` });
}

/** A server action (`{ "os-stop": null }`, `{ shelve: null }`, ...), accepted with 202. */
export async function serverAction(
  client: OpenStackClient,
  id: string,
  action: Record<string, unknown>,
): Promise<void> {
  await compute(client, {
    method: 'POST',
    path: `/servers/${encodeURIComponent(id)}/action`,
    json: action,
    expect: [200, 202],
  });
}

/** Boots a server from an existing volume: its `image` is empty, the volume names the image. */
export async function createServerFromVolume(
  client: OpenStackClient,
  server: { name: string; volumeId: string; flavorRef: string },
): Promise<Server> {
  const reply = await compute(client, {
    method: 'POST',
    path: '/servers',
    headers: { 'openstack-api-version': 'compute 2.37', 'x-openstack-nova-api-version': '2.37' },
    json: {
      server: {
        name: server.name,
        flavorRef: server.flavorRef,
        networks: 'none',
        block_device_mapping_v2: [
          {
            boot_index: 0,
            uuid: server.volumeId,
            source_type: 'volume',
            destination_type: 'volume',
            delete_on_termination: false,
          },
        ],
      },
    },
    expect: [202],
  });
  return (JSON.parse(reply.body) as { server: Server }).server;
}
