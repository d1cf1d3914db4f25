// The lifecycle end to end: real BullMQ workers for every stage, a real Redis, the real
// OpenStack of the local stack, and the local upstream mirror. Each stage uses only its own
// least-privilege account (README, "Least privilege"): the uploader, renamer, janitor and the
// reaper's delete the publishing one, the feed-watcher, usage-checker and the reaper's last
// check the read-only one, the downloader none. The service (admin) account only clears and
// inspects.
//   day 1: every series of the catalogue is published as "<Title> - Latest"
//   day 2: new Ubuntu 24.04 and Debian 12 releases: new Latest, previous one dated community,
//          every other series untouched
//   the same day again: no duplicate image, no write
//   ... and at the end every image read back from Glance satisfies SCS 0102 (scs-conformance.ts)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allQueues,
  DEFAULT_TARGET,
  feedCheckQueue,
  MANAGED_TAG,
  managedByTag,
  osTag,
  PROPERTY,
  usageCheckQueue,
} from '@imagecycle/contracts';
import { Events, PublishedRecords, SmokeTestRecords } from '@imagecycle/events';
import { latestName } from '@imagecycle/lifecycle';
import { DocumentFetcher, FeedWatcher, RedisDocumentCache } from '@imagecycle/feed-watcher';
import { listManagedImages } from '@imagecycle/inventory';
import { createLogger, createMetrics } from '@imagecycle/observability';
import { type GlanceImage, OpenStackClient } from '@imagecycle/openstack';
import { stageHandlers, waitUntilIdle } from '@imagecycle/composition';
import type { Catalogue } from '@imagecycle/series-catalogue';
import { type Distro, type Mirror, type PublishedRelease, startMirror } from '../mirror/index.ts';
import { cinderAdminRoles, cloudNames, connect } from '../support/clouds.ts';
import { loadMirrorCatalogue } from '../support/mirror-catalogue.ts';
import {
  createVolume,
  deleteVolume,
  waitForVolumeGone,
  waitForVolumeStatus,
} from '../support/openstack-test-calls.ts';
import { testRuntime } from '../support/queue-runtime.ts';
import { scsConformance } from './scs-conformance.ts';

const service = connect('service');
const publish = connect('publish');
const usage = connect('usage');
const redis = new Redis(process.env.REDIS_URL ?? '');
const { prefix, runtime } = testRuntime('e2e');
const quiet = createLogger({ name: 'e2e', level: 'silent' });
const events = new Events({ redis, logger: quiet, stream: `${prefix}:events` });
const smokeTests = new SmokeTestRecords(redis, `${prefix}:smoke-tests`);
const published = new PublishedRecords(redis, `${prefix}:published`);
const tenant = connect('tenant');
const DAY = 24 * 3600 * 1000;
let clock = Date.now();
let mirror: Mirror;
let catalogue: Catalogue;
let owner: string;
const metrics = createMetrics({ defaultMetrics: false });

async function managedOf(series: string): Promise<GlanceImage[]> {
  return listManagedImages(service.glance, { owner, series });
}

/** The test cloud keeps images between runs: start from none for the catalogue's series. */
async function removeManagedImages(): Promise<void> {
  for (const series of catalogue.series) {
    for (const image of await managedOf(series.id)) {
      if (image.protected)
        await service.glance.patchImage(image.id, [
          { op: 'replace', path: '/protected', value: false },
        ]);
      await service.glance.deleteImage(image.id);
    }
  }
}

async function runDay(): Promise<void> {
  for (const series of catalogue.series)
    await runtime.enqueue(feedCheckQueue, { series: series.id, trigger: 'manual' });
  // day 1 publishes 17 series, each candidate smoke-booted first
  await waitUntilIdle(runtime, allQueues, 480_000);
}

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  catalogue = await loadMirrorCatalogue(mirror);
  owner = await service.projectId();
  expect(await publish.projectId()).toBe(owner);
  expect(await usage.projectId()).toBe(owner);
  await removeManagedImages();
  const watcher = new FeedWatcher({
    catalogue,
    fetcher: new DocumentFetcher({
      cache: new RedisDocumentCache(redis, { prefix: `${prefix}:cache:` }),
    }),
    published: (series) => published.get(series),
    runtime,
    logger: quiet,
    metrics,
  });

  runtime.startWorkers(
    stageHandlers({
      catalogue,
      targets: [
        {
          name: DEFAULT_TARGET,
          clouds: { publish: () => publish, usage: () => usage },
          owner: () => Promise.resolve(owner),
          published,
          // every candidate is smoke-booted, as the packaged catalogue asks, in its project
          smokeTests,
          smokeTesterFor: (project) => {
            const nova = OpenStackClient.connect({ cloud: project ?? cloudNames.publish }).nova;
            return {
              nova,
              flavorRef: (flavor, fit) =>
                flavor === undefined ? nova.smallestFlavor(fit) : nova.resolveFlavor(flavor),
            };
          },
        },
      ],
      runtime,
      watcher: () => watcher,
      events,
      metrics,
      stagingDir: mkdtempSync(join(tmpdir(), 'e2e-staging-')),
      now: () => new Date(clock),
      reapSettleMs: 0,
      // the usage account's role that the stack's Cinder policy makes admin
      cinderAdminRoles,
    }),
    allQueues,
  );
}, 120_000);

afterAll(async () => {
  await runtime.close();
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  await removeManagedImages();
  await redis.del(`${prefix}:events`, `${prefix}:smoke-tests`);
  redis.disconnect();
  await mirror.stop();
}, 120_000);

let day1: Map<string, GlanceImage>;

describe('the image lifecycle', () => {
  it('day 1: every series is published as "<Title> - Latest", public, with its properties', async () => {
    await runDay();
    day1 = new Map();
    for (const series of catalogue.series) {
      const images = await managedOf(series.id);
      expect(images, series.id).toHaveLength(1);
      const [latest] = images as [GlanceImage];
      expect(latest).toMatchObject({
        name: latestName(series.title),
        visibility: 'public',
        os_hidden: false,
        status: 'active',
        [PROPERTY.state]: 'latest',
        [PROPERTY.version]: mirror.latest(series.id as Distro)?.version,
        os_distro: series.properties.os_distro,
      });
      // Glance keeps tags as a set, in no particular order
      expect(latest.tags.toSorted(), series.id).toEqual(
        [
          MANAGED_TAG,
          managedByTag(series.vendor),
          osTag(series.properties.os_distro ?? ''),
        ].toSorted(),
      );
      day1.set(series.id, latest);
    }
    // each of them was booted before it was published, and its guest printed the boot line
    // of its family (the local stack's compute driver: cloud-init, Ignition, cloudbase-init)
    const smoked = await smokeTests.all();
    for (const [series, latest] of day1) {
      expect(smoked.get(series), series).toMatchObject({
        result: 'passed',
        imageId: latest.id,
        version: latest[PROPERTY.version],
      });
    }
    // every byte sent to Glance is counted, per series; downloads are counted too
    const moved = (await metrics.bytesMoved.get()).values;
    for (const [series, latest] of day1) {
      const bytes = (stage: string) =>
        moved.find((v) => v.labels.stage === stage && v.labels.series === series)?.value;
      expect(bytes('upload'), series).toBe(latest.size);
      expect(bytes('download'), series).toBeGreaterThan(0);
    }
  }, 600_000);

  it('day 2: new Ubuntu 24.04 and Debian 12 releases become Latest; the previous ones are dated community images; the rest is untouched', async () => {
    const ubuntu = await mirror.publish('ubuntu-24.04', { date: '2026-11-20' });
    const debian = await mirror.publish('debian-12', { date: '2026-11-20' });
    await runDay();
    for (const [seriesId, published] of [
      ['ubuntu-24.04', ubuntu],
      ['debian-12', debian],
    ] as const) {
      const series = catalogue.series.find((s) => s.id === seriesId);
      const images = await managedOf(seriesId);
      expect(images).toHaveLength(2);
      const latest = images.find((i) => i[PROPERTY.state] === 'latest');
      const previous = images.find((i) => i[PROPERTY.state] === 'community');
      expect(latest).toMatchObject({
        name: latestName(series?.title ?? ''),
        visibility: 'public',
        [PROPERTY.version]: published.version,
      });
      expect(previous?.id).toBe(day1.get(seriesId)?.id);
      expect(previous).toMatchObject({
        name: `${series?.title} - ${previous?.created_at.slice(0, 10)}`,
        visibility: 'community',
      });
    }
    for (const series of catalogue.series.filter(
      (s) => !['ubuntu-24.04', 'debian-12'].includes(s.id),
    )) {
      expect(await managedOf(series.id), series.id).toEqual([day1.get(series.id)]);
    }
    const recorded = await events.recent(50);
    expect(recorded.filter((e) => e.series === 'ubuntu-24.04').map((e) => e.type)).toEqual(
      expect.arrayContaining(['discovered', 'downloaded', 'uploaded', 'promoted', 'demoted']),
    );
  }, 300_000);

  it('running the same day again makes no image and no write', async () => {
    const before = new Map<string, GlanceImage[]>();
    for (const series of catalogue.series) before.set(series.id, await managedOf(series.id));
    await runDay();
    for (const series of catalogue.series) {
      const after = await managedOf(series.id);
      expect(after.map((i) => [i.id, i.updated_at]).sort(), series.id).toEqual(
        (before.get(series.id) ?? []).map((i) => [i.id, i.updated_at]).sort(),
      );
    }
  }, 300_000);

  it('days 10 and 18: an image a server or a volume uses is kept; once unused past the grace period it is reaped', async () => {
    // A third release, so the day-1 images leave the retention floor (the newest community image).
    await mirror.publish('ubuntu-24.04', { date: '2026-11-25' });
    await mirror.publish('debian-12', { date: '2026-11-25' });
    // Debian 11 gets two releases, so its day-1 image is a community image outside the
    // retention floor - and an operator protects it: it must survive everything.
    await mirror.publish('debian-11', { date: '2026-11-21' });
    await mirror.publish('debian-11', { date: '2026-11-25' });
    await runDay();
    const protectedId = day1.get('debian-11')?.id ?? '';
    expect((await service.glance.getImage(protectedId))[PROPERTY.state]).toBe('community');
    await service.glance.patchImage(protectedId, [
      { op: 'replace', path: '/protected', value: true },
    ]);
    const oldUbuntu = day1.get('ubuntu-24.04')?.id ?? '';
    const oldDebian = day1.get('debian-12')?.id ?? '';
    const privateImage = await tenant.glance.createImage({
      name: `${prefix}-private`,
      disk_format: 'raw',
      visibility: 'private',
    });

    const usageDay = async (offsetDays: number) => {
      clock = Date.now() + offsetDays * DAY;
      await runtime.enqueue(usageCheckQueue, { trigger: 'manual' });
      await waitUntilIdle(runtime, allQueues, 120_000);
    };
    const exists = async (id: string) => (await service.glance.findImage(id)) !== undefined;
    let serverId = '';
    let volumeId = '';
    try {
      const server = await tenant.nova.createServer({
        name: `${prefix}-vm`,
        imageRef: oldUbuntu,
        flavorRef: '3', // m1.medium: Ubuntu's min_disk is 8 GiB
      });
      serverId = server.id;
      await tenant.nova.waitForServerStatus(serverId, ['ACTIVE'], 90_000);
      const volume = await createVolume(tenant, {
        size: 10,
        name: `${prefix}-vol`,
        imageRef: oldDebian,
      });
      volumeId = volume.id;
      await waitForVolumeStatus(tenant, volumeId, ['available'], 90_000);
      await usageDay(0);
      await usageDay(8); // day 10
      expect(await exists(oldUbuntu)).toBe(true);
      expect(await exists(oldDebian)).toBe(true);
      expect((await service.glance.getImage(oldUbuntu))[PROPERTY.lastUsedAt]).toBeDefined();
      expect((await service.glance.getImage(oldDebian))[PROPERTY.lastUsedAt]).toBeDefined();
    } finally {
      if (serverId) {
        await tenant.nova.deleteServer(serverId);
        await tenant.nova.waitForServerGone(serverId, 60_000);
      }
      if (volumeId) {
        await deleteVolume(tenant, volumeId);
        await waitForVolumeGone(tenant, volumeId, 60_000);
      }
    }
    await usageDay(9); // the day they are first seen unused
    await usageDay(17); // day 18: past the 7-day grace period
    expect(await exists(oldUbuntu)).toBe(false);
    expect(await exists(oldDebian)).toBe(false);
    expect(await service.glance.getImage(protectedId)).toMatchObject({
      status: 'active',
      protected: true,
      visibility: 'community',
    });
    for (const seriesId of ['ubuntu-24.04', 'debian-12']) {
      const left = await managedOf(seriesId);
      expect(left.map((i) => i[PROPERTY.state]).sort(), seriesId).toEqual(['community', 'latest']);
    }
    expect(await tenant.glance.findImage(privateImage.id)).toMatchObject({
      visibility: 'private',
      status: 'queued',
    });
    await tenant.glance.deleteImage(privateImage.id);
    const reaped = (await events.recent(200))
      .filter((e) => e.type === 'reaped')
      .map((e) => e.imageId);
    expect(reaped.sort()).toEqual([oldUbuntu, oldDebian].sort());
  }, 300_000);

  // Each fault, what must be rejected and why: the reason (metric label) and what the
  // event's detail must and must not say.
  // `unversioned`: refused before any version could be trusted (the signed streams that name
  // it failed), so the event names none
  type Why = { reason: string; says: string[]; never?: string[]; unversioned?: true };
  it.each([
    [
      'a corrupted image',
      'ubuntu-22.04',
      (url: string) => mirror.faults.corrupt({ prefix: url }),
      // the downloader: the bytes hash to something else than the (genuine) feed says
      (published: PublishedRelease): Why => ({
        reason: 'checksum-mismatch',
        says: [
          `series ${published.distro} version ${published.version}: `,
          `/${published.image.name} hashes to sha256:`,
          `the upstream says ${published.image.sha256.slice(0, 16)}...`,
        ],
        never: [`hashes to sha256:${published.image.sha256.slice(0, 16)}`],
      }),
    ],
    [
      'a swapped, re-signed checksum',
      'ubuntu-20.04',
      (url: string) => mirror.faults.swapChecksum({ prefix: url }, { resign: true }),
      // the signature holds (re-made by the genuine key), so the downloader finds the genuine
      // bytes hashing to something else than the swapped checksum
      (published: PublishedRelease): Why => ({
        reason: 'checksum-mismatch',
        says: [
          `series ${published.distro} version ${published.version}: `,
          `/${published.image.name} hashes to sha256:${published.image.sha256.slice(0, 16)}..., the upstream says `,
        ],
        never: [`the upstream says ${published.image.sha256.slice(0, 16)}`],
      }),
    ],
    [
      'a forged signature',
      'ubuntu-minimal-24.04',
      (url: string) => mirror.faults.forgeSignature({ prefix: url }, { mode: 'other-key' }),
      // the feed-watcher: the streams (.sjson) signed by the forger's key, which is not in
      // the keyring - before any version in them is believed
      (): Why => ({
        reason: 'signature-invalid',
        unversioned: true,
        says: [
          'rejected (signature-invalid)',
          'signature rejected (unknown-key)',
          mirror.forger.subkeyFingerprint.slice(-16).toLowerCase(),
        ],
      }),
    ],
  ] as const)(
    '%s: nothing is published, an event says why, the Latest stays as it was',
    async (_label, seriesId, fault, why) => {
      const before = await managedOf(seriesId);
      const published = await mirror.publish(seriesId);
      const handle = fault(mirror.url('/cloud-images.ubuntu.com/'));
      try {
        await runtime.enqueue(feedCheckQueue, { series: seriesId, trigger: 'manual' });
        await waitUntilIdle(runtime, allQueues, 120_000);
      } finally {
        handle.remove();
      }
      expect((await managedOf(seriesId)).map((i) => [i.id, i.name, i.updated_at])).toEqual(
        before.map((i) => [i.id, i.name, i.updated_at]),
      );
      const expected = why(published);
      const rejected = (await events.recent(100, seriesId)).filter((e) => e.type === 'rejected');
      expect(rejected.map((e) => e.version)).toEqual([
        expected.unversioned ? undefined : published.version,
      ]);
      const detail = rejected[0]?.detail ?? '';
      for (const part of expected.says) expect(detail).toContain(part);
      for (const part of expected.never ?? []) expect(detail).not.toContain(part);
      const counted = (await metrics.releaseRejections.get()).values.filter(
        (v) => v.labels.series === seriesId,
      );
      expect(counted.map((v) => [v.labels.reason, v.value])).toEqual([[expected.reason, 1]]);
    },
    120_000,
  );

  it('after the run, every published image satisfies SCS 0102 v2, read back from Glance', async () => {
    const { judged, violations } = await scsConformance({
      catalogue,
      service: service.glance,
      owner,
      tenant: tenant.glance,
    });
    expect(violations).toEqual([]);
    // it judged what the run left: a Latest per series, and the demoted (oldgeneric) ones
    for (const series of catalogue.series)
      expect(judged.get(series.id)?.filter((i) => i[PROPERTY.state] === 'latest')).toHaveLength(1);
    for (const seriesId of ['ubuntu-24.04', 'debian-12', 'debian-11'])
      expect(
        judged.get(seriesId)?.filter((i) => i[PROPERTY.state] === 'community'),
        seriesId,
      ).toHaveLength(1);
  }, 60_000);
});
