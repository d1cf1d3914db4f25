// What the renamer's reconcile and the janitor's pass record for a series, done by a test:
// the series' managed images listed from the real Glance, reduced by the same rule, written
// to the feed-watcher's record.
import type { PublishedRecords } from '@imagecycle/events';
import { listManagedImages } from '@imagecycle/inventory';
import { publishedVersions } from '@imagecycle/lifecycle';
import type { OpenStackClient } from '@imagecycle/openstack';

export async function recordPublished(
  records: PublishedRecords,
  cloud: OpenStackClient,
  series: string,
): Promise<void> {
  const images = await listManagedImages(cloud.glance, { owner: await cloud.projectId(), series });
  await records.record({
    series,
    at: new Date().toISOString(),
    ...publishedVersions(images),
    by: 'janitor',
  });
}
