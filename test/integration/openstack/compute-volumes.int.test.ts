// Nova and Cinder through the client: the all-projects, paged listings the usage check
// relies on, against servers and volumes really created by two tenants.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenStackClient } from '@imagecycle/openstack';
import { connect, runPrefix } from '../../support/clouds.ts';
import {
  createVolume,
  deleteVolume,
  listAllServers,
  listAllVolumes,
  waitForVolumeGone,
  waitForVolumeStatus,
} from '../../support/openstack-test-calls.ts';
import { countRequests } from '../../support/request-count.ts';

const prefix = runPrefix('nova');
let service: OpenStackClient;
let tenant: OpenStackClient;
let tenant2: OpenStackClient;
let imageId: string;
const servers: { client: OpenStackClient; id: string }[] = [];
const volumes: { client: OpenStackClient; id: string }[] = [];

beforeAll(async () => {
  service = connect('service');
  tenant = connect('tenant');
  tenant2 = connect('tenant2');
  const image = await service.glance.createImage({
    name: `${prefix}-image`,
    disk_format: 'raw',
    visibility: 'public',
    properties: { imagecycle_series: prefix },
  });
  imageId = image.id;
  await service.glance.uploadImageData(
    image.id,
    (await import('node:stream')).Readable.from([randomBytes(1 << 20)]),
    {
      size: 1 << 20,
    },
  );
  await service.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });
});

// One server or volume at a time: the local cloud keeps Nova's and Cinder's databases in
// SQLite, which answers "database is locked" when several builds or deletes overlap.
afterAll(async () => {
  for (const { client, id } of servers) {
    await client.nova.deleteServer(id);
    await client.nova.waitForServerGone(id, 60_000);
  }
  for (const { client, id } of volumes) {
    await deleteVolume(client, id);
    await waitForVolumeGone(client, id, 60_000);
  }
  if (imageId) await service.glance.deleteImage(imageId);
});

describe('Nova through the client', () => {
  it('negotiates a microversion and boots and deletes a server', async () => {
    expect(await tenant.nova.microversion()).toBe('2.37');
    const server = await tenant.nova.createServer({
      name: `${prefix}-boot`,
      imageRef: imageId,
      flavorRef: '1',
    });
    servers.push({ client: tenant, id: server.id });
    const active = await tenant.nova.waitForServerStatus(server.id, ['ACTIVE'], 90_000);
    expect(active.image).toMatchObject({ id: imageId });
  });

  it('lists every server of every project across several pages', async () => {
    const wanted = [
      ...[1, 2, 3].map((i) => ({ client: tenant, name: `${prefix}-a${i}` })),
      ...[1, 2].map((i) => ({ client: tenant2, name: `${prefix}-b${i}` })),
    ];
    for (const { client, name } of wanted) {
      const server = await client.nova.createServer({ name, imageRef: imageId, flavorRef: '1' });
      servers.push({ client, id: server.id });
      await client.nova.waitForServerStatus(server.id, ['ACTIVE'], 90_000);
    }

    const requests = countRequests(service);
    const all = await listAllServers(service, { allTenants: true, image: imageId, limit: 2 });
    requests.stop();
    const pages = requests.of({ service: 'compute', method: 'GET', status: 200 });
    expect(all.map((s) => s.id).sort()).toEqual(servers.map((s) => s.id).sort());
    expect(new Set(all.map((s) => s.tenant_id)).size).toBe(2);
    expect(pages).toBeGreaterThanOrEqual(3); // 6 servers, 2 a page

    // A tenant sees only its own, whatever it asks for.
    const own = await listAllServers(tenant2, { image: imageId });
    expect(own.map((s) => s.name).sort()).toEqual([`${prefix}-b1`, `${prefix}-b2`]);
  });
});

describe('Nova flavors through the client', () => {
  it("picks the smallest flavor that fits an image's minimums, and says which exist when none does", async () => {
    // the local cloud's flavors (infra/local/lib/up.sh), RAM MiB / disk GiB: 1 m1.tiny 64/1,
    // 2 m1.small 512/1, 3 m1.medium 2048/10, 4 m1.nodisk 64/0, 5 m1.large 4096/40
    const cases: [minRam: number, minDisk: number, flavor: string][] = [
      [0, 0, '4'], // no minimum: the rootless one is smallest (ties on RAM go to less disk)
      [64, 1, '1'], // a minimum disk rules out a flavor without a root disk
      [512, 1, '2'],
      [512, 8, '3'], // Ubuntu's minimums
      [2048, 20, '5'],
      [4096, 40, '5'], // Windows'
    ];
    for (const [minRam, minDisk, flavor] of cases)
      expect(await service.nova.smallestFlavor({ minRam, minDisk }), `${minRam}/${minDisk}`).toBe(
        flavor,
      );
    await expect(service.nova.smallestFlavor({ minRam: 8192, minDisk: 1 })).rejects.toThrow(
      /no flavor has 8192 MiB of RAM and 1 GiB of disk \(known: .*m1\.tiny 64 MiB\/1 GiB/,
    );
  });
});

describe('Cinder through the client', () => {
  it('lists volumes of every project with the image they were made from, page by page', async () => {
    for (const client of [tenant, tenant2]) {
      const volume = await createVolume(client, {
        size: 1,
        name: `${prefix}-vol`,
        imageRef: imageId,
      });
      volumes.push({ client, id: volume.id });
      await waitForVolumeStatus(client, volume.id, ['available'], 90_000);
    }

    const all = await listAllVolumes(service, { allTenants: true, limit: 1 });
    const ours = all.filter((volume) => volumes.some((v) => v.id === volume.id));
    expect(ours).toHaveLength(2);
    for (const volume of ours) expect(volume.volume_image_metadata?.image_id).toBe(imageId);
    expect(new Set(ours.map((v) => v['os-vol-tenant-attr:tenant_id'])).size).toBe(2);
  });
});
