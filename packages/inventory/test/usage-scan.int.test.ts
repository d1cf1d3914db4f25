// The usage scan against the real Nova and Cinder: a server in every state a tenant can leave
// it in, and a server booted from a volume, each keeps its image in use; an account whose
// listing is silently narrowed to its own project (Cinder without admin) or refused (Nova)
// makes the scan incomplete, with the reason. The local cloud soft-deletes servers for an
// hour (reclaim_instance_interval), as many production clouds do.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenStackClient, Server } from '@imagecycle/openstack';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import {
  createServerFromVolume,
  createVolume,
  deleteVolume,
  serverAction,
  waitForVolumeGone,
  waitForVolumeStatus,
} from '@imagecycle/test/support/openstack-test-calls';
import { scanUsage } from '../src/index.ts';

const prefix = runPrefix('scan');
const service = connect('service');
const tenant = connect('tenant');
let imageId = '';
const servers: string[] = [];
const volumes: string[] = [];

beforeAll(async () => {
  const image = await service.glance.createImage({
    name: `${prefix}-image`,
    disk_format: 'raw',
    visibility: 'public',
    properties: { imagecycle_series: prefix },
  });
  imageId = image.id;
  await service.glance.uploadImageData(image.id, Readable.from([randomBytes(1 << 20)]), {
    size: 1 << 20,
  });
  await service.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });
});

// One at a time: overlapping builds and deletes only slow the local cloud down.
afterAll(async () => {
  for (const id of servers) {
    await tenant.nova.deleteServer(id);
    await tenant.nova.waitForServerGone(id, 90_000);
  }
  for (const id of volumes) {
    // the volume a deleted server booted from is detached a moment later
    await waitForVolumeStatus(tenant, id, ['available'], 60_000);
    await deleteVolume(tenant, id);
    await waitForVolumeGone(tenant, id, 60_000);
  }
  // shelving left a snapshot of the tenant's server behind
  for await (const image of tenant.glance.listImages({ visibility: 'private' }))
    if (image.name?.startsWith(prefix) && image.id !== imageId)
      await tenant.glance.deleteImage(image.id).catch(() => undefined);
  if (imageId) await service.glance.deleteImage(imageId);
}, 300_000);

async function boot(label: string): Promise<Server> {
  const server = await tenant.nova.createServer({
    name: `${prefix}-${label}`,
    imageRef: imageId,
    flavorRef: '1',
  });
  servers.push(server.id);
  return tenant.nova.waitForServerStatus(server.id, ['ACTIVE'], 90_000);
}

/** What the admin scan (whole and for this one image) says uses the image. */
async function usersSeenByAdmin(): Promise<string[]> {
  const whole = await scanUsage(service.nova, service.cinder);
  const one = await scanUsage(service.nova, service.cinder, { image: imageId });
  expect(whole.incomplete).toEqual([]);
  expect(one.incomplete).toEqual([]);
  expect(one.usedBy.get(imageId)?.sort()).toEqual(whole.usedBy.get(imageId)?.sort());
  return whole.usedBy.get(imageId) ?? [];
}

// Each state reached the way a tenant (or, for ERROR, an operator) reaches it.
const states: [string, (client: OpenStackClient, id: string) => Promise<void>][] = [
  ['ACTIVE', async () => {}],
  ['SHUTOFF', (c, id) => serverAction(c, id, { 'os-stop': null })],
  ['ERROR', (_c, id) => serverAction(service, id, { 'os-resetState': { state: 'error' } })],
  ['RESCUE', (c, id) => serverAction(c, id, { rescue: null })],
  ['SHELVED_OFFLOADED', (c, id) => serverAction(c, id, { shelve: null })],
  ['SOFT_DELETED', (c, id) => c.nova.deleteServer(id).then(() => undefined)],
];

describe('a server in any state keeps its image in use', () => {
  it.each(states)('%s', async (status, enter) => {
    const server = await boot(status.toLowerCase());
    await enter(tenant, server.id);
    await tenant.nova.waitForServerStatus(server.id, [status], 90_000).catch(async (error) => {
      // rescue and stop pass through other statuses on the way; ERROR is the target here
      if (status !== 'ERROR') throw error;
      expect((await service.nova.getServer(server.id)).status).toBe('ERROR');
    });
    expect(await usersSeenByAdmin()).toContain(`server ${server.id} (${status})`);
  });

  it('a server booted from a volume made from the image keeps it, through the volume', async () => {
    const volume = await createVolume(tenant, {
      size: 1,
      name: `${prefix}-vol`,
      imageRef: imageId,
    });
    volumes.push(volume.id);
    await waitForVolumeStatus(tenant, volume.id, ['available'], 120_000);
    const server = await createServerFromVolume(tenant, {
      name: `${prefix}-bfv`,
      volumeId: volume.id,
      flavorRef: '1',
    });
    servers.push(server.id);
    const active = await tenant.nova.waitForServerStatus(server.id, ['ACTIVE'], 120_000);
    expect(active.image).toBe(''); // Nova names no image: only the volume tells
    const users = await usersSeenByAdmin();
    expect(users.some((u) => u.startsWith(`volume ${volume.id} (`))).toBe(true);
  });
});

describe('a scan that cannot prove itself complete says why', () => {
  it('Cinder without the admin role lists only its own project: incomplete', async () => {
    expect(volumes.length).toBeGreaterThan(0); // the tenant's volume from the test above
    const scan = await scanUsage(service.nova, tenant.cinder);
    expect(scan.incomplete.join('\n')).toMatch(/block-storage: the account has no admin role/);
    // and the listing itself shows it: a filter to no project still returns the tenant's volume
    expect(scan.incomplete.join('\n')).toMatch(
      /a listing filtered to no project returned volume .*: Cinder dropped the filters/,
    );
  });

  it('Nova refuses every project’s servers to a tenant: incomplete, not an error', async () => {
    const scan = await scanUsage(tenant.nova, service.cinder);
    expect(scan.incomplete.join('\n')).toMatch(
      /compute: listing every project’s servers refused \(403/,
    );
  });

  it('the admin account on this cloud: complete, listings at 2.69 so down cells would show', async () => {
    expect(await service.nova.listsDownCells()).toBe(true);
    const scan = await scanUsage(service.nova, service.cinder);
    expect(scan.incomplete).toEqual([]);
  });
});
