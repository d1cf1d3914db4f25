// Benchmark: the daily usage check over a populated cloud - 300 servers in three projects,
// 100 volumes, 100 community images. Prints the API calls per service (with the page size)
// and the wall time, for 100 images and for 10 images over the same servers and volumes:
// the calls follow servers and volumes, not images.
//   ./dev bench usage-check          (BENCH_SERVERS, BENCH_VOLUMES, BENCH_IMAGES to change)
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import type { OpenStackClient } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { checkUsage } from '@imagecycle/usage-checker';
import { connect } from '../support/clouds.ts';
import {
  createVolume,
  deleteVolume,
  waitForVolumeGone,
  waitForVolumeStatus,
} from '../support/openstack-test-calls.ts';
import { countRequests } from '../support/request-count.ts';

const SERVERS = Number(process.env.BENCH_SERVERS ?? 300);
const VOLUMES = Number(process.env.BENCH_VOLUMES ?? 100);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 100);
const PAGE = 1000;
const tag = `bench-usage-${randomBytes(3).toString('hex')}`;
const service = connect('service');
const projects = [connect('tenant'), connect('tenant2'), connect('admin')];
const servers: { client: OpenStackClient; id: string }[] = [];
const volumes: { client: OpenStackClient; id: string }[] = [];
const images: string[] = [];

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size)
    await Promise.all(items.slice(i, i + size).map(work));
}

async function communityImage(i: number): Promise<string> {
  const image = await service.glance.createImage({
    name: `${tag}-${i}`,
    disk_format: 'raw',
    visibility: 'community',
    tags: [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: tag,
      [PROPERTY.version]: String(i),
      [PROPERTY.state]: 'community',
    },
  });
  await service.glance.uploadImageData(image.id, Readable.from([randomBytes(4096)]), {
    size: 4096,
  });
  return image.id;
}

async function measure(label: string, seriesCount: number) {
  const series = {
    id: tag,
    retention: { keepLast: 1, minimumAgeDays: 0 },
    gracePeriodDays: 7,
  } as unknown as Series;
  const requests = countRequests(service);
  const t0 = performance.now();
  const report = await checkUsage({
    glance: service.glance,
    nova: service.nova,
    cinder: service.cinder,
    owner: await service.projectId(),
    series: [series],
    enqueueReap: () => Promise.resolve(),
    pageSize: PAGE,
  });
  const seconds = (performance.now() - t0) / 1000;
  requests.stop();
  const calls = {
    nova: requests.of({ service: 'compute' }),
    cinder: requests.of({ service: 'block-storage' }),
    glance: requests.of({ service: 'image' }),
  };
  console.log(
    `${label.padEnd(34)} ${seconds.toFixed(2)} s  servers ${report.servers}, volumes ${report.volumes}, community images ${report.communityImages} (of ${seriesCount})  ` +
      `calls: nova ${calls.nova}, cinder ${calls.cinder}, glance ${calls.glance} (of which ${report.patched} PATCH)`,
  );
  return { seconds, calls, report };
}

try {
  const t0 = performance.now();
  for (let i = 0; i < IMAGES; i += 1) images.push(await communityImage(i));
  const bootImage = images[0] ?? '';
  await inBatches([...Array(SERVERS).keys()], 30, async (i) => {
    const client = projects[i % projects.length] as OpenStackClient;
    const server = await client.nova.createServer({
      name: `${tag}-vm-${i}`,
      imageRef: images[i % images.length] ?? bootImage,
      flavorRef: '1',
    });
    servers.push({ client, id: server.id });
    await client.nova.waitForServerStatus(server.id, ['ACTIVE'], 300_000);
  });
  await inBatches([...Array(VOLUMES).keys()], 20, async (i) => {
    const client = projects[i % 2] as OpenStackClient;
    const volume = await createVolume(client, {
      size: 1,
      name: `${tag}-vol-${i}`,
      imageRef: images[(i * 7) % images.length] ?? bootImage,
    });
    volumes.push({ client, id: volume.id });
    await waitForVolumeStatus(client, volume.id, ['available'], 300_000);
  });
  console.log(
    `set-up: ${SERVERS} servers in ${projects.length} projects, ${VOLUMES} volumes, ${IMAGES} community images in ${((performance.now() - t0) / 1000).toFixed(0)} s; page size ${PAGE}`,
  );

  await measure(`first pass, ${IMAGES} images`, IMAGES);
  await measure(`same day again, ${IMAGES} images`, IMAGES);
  for (const id of images.splice(10)) await service.glance.deleteImage(id);
  await measure('same servers/volumes, 10 images', 10);
} finally {
  await inBatches(servers, 30, async ({ client, id }) => {
    await client.nova.deleteServer(id);
    await client.nova.waitForServerGone(id, 300_000);
  });
  await inBatches(volumes, 20, async ({ client, id }) => {
    await deleteVolume(client, id);
    await waitForVolumeGone(client, id, 300_000);
  });
  for (const id of images) await service.glance.deleteImage(id);
}
