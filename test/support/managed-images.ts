// The test cloud keeps images between runs (a demo, an interrupted test): a test that
// counts what the pipeline makes starts by removing the managed images of the service -
// all of them, or one series'. Protected ones are unprotected first.
import { listManagedImages } from '@imagecycle/inventory';
import type { OpenStackClient } from '@imagecycle/openstack';

export async function removeManagedImages(
  service: OpenStackClient,
  series?: string,
): Promise<number> {
  const owner = await service.projectId();
  const images = await listManagedImages(service.glance, { owner, ...(series ? { series } : {}) });
  for (const image of images) {
    if (image.protected)
      await service.glance.patchImage(image.id, [
        { op: 'replace', path: '/protected', value: false },
      ]);
    await service.glance.deleteImage(image.id);
  }
  return images.length;
}
