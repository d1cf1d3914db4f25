// Which images count as managed, against the real Glance: tag AND owner, hidden or not.
import { afterAll, describe, expect, it } from 'vitest';
import { MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import type { OpenStackClient } from '@imagecycle/openstack';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import { listManagedImages } from '../src/index.ts';

const series = runPrefix('inventory');
const service = connect('service');
const tenant = connect('tenant');
const made: { client: OpenStackClient; id: string }[] = [];

afterAll(async () => {
  for (const { client, id } of made) await client.glance.deleteImage(id);
});

async function image(
  client: OpenStackClient,
  name: string,
  extra: { tags?: string[]; os_hidden?: boolean; version?: string },
) {
  const created = await client.glance.createImage({
    name: `${series}-${name}`,
    disk_format: 'raw',
    os_hidden: extra.os_hidden ?? false,
    tags: extra.tags ?? [],
    properties: { [PROPERTY.series]: series, [PROPERTY.version]: extra.version ?? '1' },
  });
  made.push({ client, id: created.id });
  return created;
}

describe('listManagedImages', () => {
  it('finds tagged images of the service project, hidden ones included, and nothing else', async () => {
    const owner = await service.projectId();
    const visible = await image(service, 'visible', { tags: [MANAGED_TAG], version: '1' });
    const hidden = await image(service, 'hidden', {
      tags: [MANAGED_TAG],
      os_hidden: true,
      version: '2',
    });
    await image(service, 'untagged', {});
    const foreign = await image(tenant, 'tenant-tagged', { tags: [MANAGED_TAG] });
    await tenant.glance.patchImage(foreign.id, [
      { op: 'replace', path: '/visibility', value: 'community' },
    ]);

    const all = await listManagedImages(service.glance, { owner, series });
    expect(all.map((i) => i.id).sort()).toEqual([visible.id, hidden.id].sort());

    const v2 = await listManagedImages(service.glance, { owner, series, version: '2' });
    expect(v2.map((i) => i.id)).toEqual([hidden.id]);
  });
});
