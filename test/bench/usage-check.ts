// Benchmark: the daily usage check over a populated cloud - 300 servers in three projects,
// 100 volumes, 100 community images. Prints the API calls per service (with the page size)
// and the wall time of every pass: the first, then same-day reruns with 100 images and with
// 10 images over the same servers and volumes, each round beside the bare listings a pass
// needs (every server, every volume, the managed images - the same-run baseline, and its
// spread the noise probe). Expectations (README, Performance): Nova and Cinder one listing
// each, page by page, whatever the number of images; Glance no more listings than the bare
// ones, at most one PATCH per image on the first pass and none on a same-day rerun; a
// rerun's time at most 1.5x the bare listings'. Exits 1 when one is not met.
//   ./dev bench usage-check          (BENCH_SERVERS, BENCH_VOLUMES, BENCH_IMAGES, BENCH_PAGE,
//                                     BENCH_ROUNDS to change)
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import type { OpenStackClient } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { listManagedImages } from '@imagecycle/inventory';
import { checkUsage, type UsageReport } from '@imagecycle/usage-checker';
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
const PAGE = Number(process.env.BENCH_PAGE ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** A pass that writes nothing, at most this many times the bare listings it needs. */
const TIME_RATIO = 1.5;
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

interface Calls {
  nova: number;
  cinder: number;
  glance: number;
}

/** Counts this client's requests from now on; the returned function stops and tells. */
function counted(): () => Calls {
  const requests = countRequests(service);
  return () => {
    requests.stop();
    return {
      nova: requests.of({ service: 'compute' }),
      cinder: requests.of({ service: 'block-storage' }),
      glance: requests.of({ service: 'image' }),
    };
  };
}

const callText = (c: Calls) => `nova ${c.nova}, cinder ${c.cinder}, glance ${c.glance}`;

interface Pass {
  label: string;
  seconds: number;
  calls: Calls;
  report: UsageReport;
}

async function pass(label: string): Promise<Pass> {
  const series = {
    id: tag,
    retention: { keepLast: 1, minimumAgeDays: 0 },
    gracePeriodDays: 7,
  } as unknown as Series;
  const calls = counted();
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
  const result = { label, seconds, calls: calls(), report };
  console.log(
    `${label.padEnd(34)} ${seconds.toFixed(2)} s  servers ${report.servers}, volumes ${report.volumes}, community images ${report.communityImages}  ` +
      `calls: ${callText(result.calls)} (of which ${report.patched} PATCH)`,
  );
  return result;
}

interface Baseline {
  seconds: number;
  calls: Calls;
}

/**
 * The listings a usage pass cannot do without, done bare with the same page size: every
 * server, every volume, the managed images (shown and hidden). The same-run baseline for the
 * pass's time and calls, and - repeated - the noise probe.
 */
async function baseline(label: string): Promise<Baseline> {
  const owner = await service.projectId();
  const calls = counted();
  const t0 = performance.now();
  await Promise.all([
    (async () => {
      for await (const _ of service.nova.listServers({ allTenants: true, limit: PAGE }));
      for await (const _ of service.cinder.listVolumes({ allTenants: true, limit: PAGE }));
    })(),
    listManagedImages(service.glance, { owner }),
  ]);
  const result = { seconds: (performance.now() - t0) / 1000, calls: calls() };
  console.log(
    `${label.padEnd(34)} ${result.seconds.toFixed(2)} s  calls: ${callText(result.calls)}`,
  );
  return result;
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

  // warm-up: the clients learn the microversion, Glance and Nova their caches
  await baseline('baseline (warm-up)');
  const first = await pass(`first pass, ${IMAGES} images`);
  const sameDay: Pass[] = [];
  const bare: Baseline[] = [];
  // the side that goes first alternates, so neither always follows the other
  for (let round = 1; round <= ROUNDS; round += 1) {
    const label = `round ${round}/${ROUNDS}`;
    if (round % 2) {
      sameDay.push(await pass(`${label}: same day, ${IMAGES} images`));
      bare.push(await baseline(`${label}: bare listings`));
    } else {
      bare.push(await baseline(`${label}: bare listings`));
      sameDay.push(await pass(`${label}: same day, ${IMAGES} images`));
    }
  }
  for (const id of images.splice(10)) await service.glance.deleteImage(id);
  const fewer: Pass[] = [];
  const bareFewer: Baseline[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const label = `round ${round}/${ROUNDS}`;
    if (round % 2) {
      fewer.push(await pass(`${label}: same servers/volumes, 10 images`));
      bareFewer.push(await baseline(`${label}: bare listings`));
    } else {
      bareFewer.push(await baseline(`${label}: bare listings`));
      fewer.push(await pass(`${label}: same servers/volumes, 10 images`));
    }
  }

  // noise probe: the bare listings do the same work every round
  const bareTimes = [...bare, ...bareFewer].map((b) => b.seconds);
  const spread = Math.max(...bareTimes) / Math.min(...bareTimes) - 1;
  console.log(
    `noise probe: the bare listings varied by ${(spread * 100).toFixed(0)}% across rounds (${bareTimes.map((t) => t.toFixed(2)).join(', ')} s)`,
  );

  const misses: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) misses.push(what);
  };
  const pages = (items: number) => Math.floor(items / PAGE) + 1;
  const best = (runs: { seconds: number }[]) => Math.min(...runs.map((r) => r.seconds));
  for (const p of [first, ...sameDay, ...fewer]) {
    // lookups follow servers and volumes: one listing each, page by page
    expect(
      p.calls.nova <= pages(p.report.servers),
      `${p.label}: ${p.calls.nova} Nova calls for ${p.report.servers} servers (at most ${pages(p.report.servers)})`,
    );
    expect(
      p.calls.cinder <= pages(p.report.volumes),
      `${p.label}: ${p.calls.cinder} Cinder calls for ${p.report.volumes} volumes (at most ${pages(p.report.volumes)})`,
    );
    const listings = p.calls.glance - p.report.patched;
    const bareListings = Math.max(...bare.map((b) => b.calls.glance));
    expect(
      listings <= bareListings,
      `${p.label}: ${listings} Glance calls besides PATCHes (the bare listings take ${bareListings})`,
    );
  }
  expect(
    first.report.patched <= first.report.communityImages,
    `first pass: ${first.report.patched} PATCHes for ${first.report.communityImages} images (at most one each)`,
  );
  for (const p of [...sameDay, ...fewer])
    expect(
      p.report.patched === 0,
      `${p.label}: ${p.report.patched} PATCHes (a same-day rerun writes nothing)`,
    );
  // with a tenth of the images, the same Nova and Cinder calls: they do not follow images
  const most = (runs: Pass[], service: 'nova' | 'cinder') =>
    Math.max(...runs.map((r) => r.calls[service]));
  expect(
    most(fewer, 'nova') === most(sameDay, 'nova') &&
      most(fewer, 'cinder') === most(sameDay, 'cinder'),
    `Nova/Cinder calls changed with the number of images: ${most(sameDay, 'nova')}/${most(sameDay, 'cinder')} for ${IMAGES}, ${most(fewer, 'nova')}/${most(fewer, 'cinder')} for 10`,
  );
  // time: a pass that writes nothing costs little more than the listings it needs
  for (const [label, passes, bases] of [
    [`same day, ${IMAGES} images`, sameDay, bare],
    ['10 images', fewer, bareFewer],
  ] as const) {
    const ratio = best(passes) / best(bases);
    console.log(
      `${label}: best pass ${best(passes).toFixed(2)} s, best bare listings ${best(bases).toFixed(2)} s, ratio ${ratio.toFixed(2)} (target <= ${TIME_RATIO})`,
    );
    expect(
      ratio <= TIME_RATIO,
      `${label}: pass / bare listings ${ratio.toFixed(2)} above ${TIME_RATIO}`,
    );
  }
  if (misses.length > 0) {
    console.log(`EXPECTATIONS NOT MET:\n  ${misses.join('\n  ')}`);
    process.exitCode = 1;
  } else console.log('expectations met');
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
