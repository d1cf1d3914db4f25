// Two targets from one download, over simulated days, on the local stack's two regions
// (IMAGECYCLE_STACK_REGIONS=2). Both topologies at once:
//   region-one  RegionOne's Glance, which RegionTwo's Nova and Cinder boot from too (one
//               Glance shared by two compute regions): its usage scan covers both regions
//   region-two  RegionTwo's own Glance, reached through a fault proxy that can take it down
// A real App (its composition, queues, records and schedules) runs every worker. Region
// one's uploads follow the download as it is written; region two's (`overlap: false`) start
// once it is verified.
//   day 1   one download, one verification; both targets publish the same release
//   day 20  region two is unreachable: region one publishes, region two's upload waits
//           (no attempt used up), the staged copy waits for it, and after the allowed time
//           the targets are said to disagree; region two comes back and catches up
//   day 25  a server in RegionTwo keeps region one's old image alive; the same release's
//           image in region two, which nothing uses, is reaped there - and only there
//   day 36  the server gone, region one reaps its old image too
//   then    region two down for longer than allowed: its upload gives up (an event, the
//           staging no longer waits); the next feed check downloads again and it catches up
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, parseDocument } from 'yaml';
import {
  allQueues,
  feedCheckQueue,
  PROPERTY,
  uploadJobId,
  uploadQueue,
  usageCheckQueue,
} from '@imagecycle/contracts';
import {
  App,
  enqueueJanitorRun,
  enqueueUsageCheck,
  loadSettings,
  waitUntilIdle,
} from '@imagecycle/composition';
import type { LifecycleEvent } from '@imagecycle/events';
import { listManagedImages } from '@imagecycle/inventory';
import { createLogger } from '@imagecycle/observability';
import type { UsageReport } from '@imagecycle/usage-checker';
import { type GlanceImage, OpenStackClient } from '@imagecycle/openstack';
import { type Mirror, type PublishedRelease, startMirror } from '../mirror/index.ts';
import { cinderAdminRoles, cloudNames } from '../support/clouds.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { mirrorCatalogueText, mirrorCatalogueVars } from '../support/mirror-catalogue.ts';
import { removeManagedImages } from '../support/managed-images.ts';
import { until } from '../support/until.ts';
import { inBothRegions, twoRegionClouds, writeClouds } from '../support/two-regions.ts';

const SERIES = 'debian-12';
const DAY = 24 * 3600 * 1000;
const prefix = `targets-${randomBytes(4).toString('hex')}`;
const regionOne = OpenStackClient.connect({ cloud: cloudNames.service });
const regionTwo = OpenStackClient.connect({ cloud: `${cloudNames.service}-r2` });
const tenantTwo = OpenStackClient.connect({ cloud: `${cloudNames.tenant}-r2` });
/**
 * The simulated clock: day 1 is now (images are created now, and their age counts from their
 * creation), later days are whole days ahead of it.
 */
const start = Date.now();
const onDay = (day: number) => start + (day - 1) * DAY;
let clock = onDay(1);
let mirror: Mirror;
let env: NodeJS.ProcessEnv;
let proxy: FaultProxy;
let app: App;
let owner: string;
let staging: string;

/** The series' managed images in one region's Glance, by state. */
async function imagesIn(client: OpenStackClient): Promise<GlanceImage[]> {
  return listManagedImages(client.glance, { owner, series: SERIES });
}
const latestIn = async (client: OpenStackClient) =>
  (await imagesIn(client)).find((i) => i[PROPERTY.state] === 'latest');

async function feedCheck(): Promise<void> {
  await app.runtime.enqueue(feedCheckQueue, { series: SERIES, trigger: 'manual' });
}

/** What the staging directory holds of the series (its release directories). */
function staged(): string[] {
  const dir = join(staging, SERIES);
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function eventsOf(type: LifecycleEvent['type']): Promise<LifecycleEvent[]> {
  return (await app.events.recent(500, SERIES)).filter((e) => e.type === type);
}

/** Every usage check (one per target) of the day `clock` says, run to its end: each report. */
async function usageDay(): Promise<Map<string, UsageReport>> {
  const { jobs } = await enqueueUsageCheck(app, [SERIES]);
  await waitUntilIdle(app.runtime, allQueues, 120_000);
  const reports = new Map<string, UsageReport>();
  for (const { target, job } of jobs) {
    const done = await app.runtime.queue(usageCheckQueue).getJob(job);
    reports.set(target, done?.returnvalue as UsageReport);
  }
  return reports;
}

beforeAll(async () => {
  const clouds = twoRegionClouds();
  owner = await regionOne.projectId();
  await removeManagedImages(regionOne, SERIES);
  await removeManagedImages(regionTwo, SERIES);

  // region two's Glance behind a proxy that can be down; its accounts reach it through it
  proxy = await startFaultProxy(await regionTwo.session.endpoint('image'));
  const dir = mkdtempSync(join(tmpdir(), 'targets-'));
  // region one's reading account lists both regions' servers and volumes: its entry names
  // both regions, as a clouds.yaml entry of a cloud with several regions does
  clouds['e2e-usage'] = inBothRegions(clouds, cloudNames.usage);
  clouds['e2e-publish-r2'] = {
    ...clouds[`${cloudNames.publish}-r2`],
    image_endpoint_override: proxy.url,
  };
  clouds['e2e-usage-r2'] = {
    ...clouds[`${cloudNames.usage}-r2`],
    image_endpoint_override: proxy.url,
  };
  const cloudsFile = writeClouds(dir, clouds);

  mirror = await startMirror({ seed: '2026-11-01' });
  const vars = mirrorCatalogueVars(mirror);
  // the packaged catalogue with two targets; no smoke test: region two's Nova boots from
  // region one's Glance, so a server from a region-two image is not something it can make
  const doc = parseDocument(mirrorCatalogueText());
  const defaults = doc.get('defaults');
  if (isMap(defaults)) defaults.delete('smokeTest');
  doc.set(
    'targets',
    doc.createNode({
      'region-one': {
        cloud: cloudNames.publish,
        usageCloud: 'e2e-usage',
        region: 'RegionOne',
        usageRegions: ['RegionOne', 'RegionTwo'],
      },
      // region two's uploads wait for the verified download (a target's overlap: false)
      'region-two': {
        cloud: 'e2e-publish-r2',
        usageCloud: 'e2e-usage-r2',
        region: 'RegionTwo',
        overlap: false,
      },
    }),
  );
  const catalogue = join(dir, 'catalogue.yaml');
  writeFileSync(catalogue, doc.toString());
  staging = join(dir, 'staging');
  env = {
    ...process.env,
    ...vars,
    IMAGECYCLE_CATALOGUE: catalogue,
    OS_CLIENT_CONFIG_FILE: cloudsFile,
    OS_CLOUD: cloudNames.service,
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    IMAGECYCLE_STAGING_DIR: staging,
    IMAGECYCLE_REAP_SETTLE_SECONDS: '0',
    IMAGECYCLE_RETRY_DELAY_SECONDS: '1',
    IMAGECYCLE_TARGET_RETRY_SECONDS: '1',
    IMAGECYCLE_TARGETS_DISAGREE_SECONDS: String(6 * 3600),
    IMAGECYCLE_CINDER_ADMIN_ROLES: cinderAdminRoles.join(','),
  };
  app = await startApp(env);
  expect(app.targets.map((t) => t.name)).toEqual(['region-one', 'region-two']);
}, 120_000);

/** A real App with every worker, on the simulated clock. */
async function startApp(settings: NodeJS.ProcessEnv): Promise<App> {
  const quiet = createLogger({ name: 'targets', level: 'silent' });
  const started = await App.create({
    settings: loadSettings(settings),
    logger: quiet,
    env: settings,
    now: () => new Date(clock),
  });
  await started.start(allQueues);
  return started;
}

afterAll(async () => {
  for (const queue of allQueues) await app?.runtime.queue(queue).obliterate({ force: true });
  const keys = await app?.redis.keys(`${prefix}:*`);
  if (keys?.length) await app?.redis.del(...keys);
  await app?.stop();
  await proxy?.close();
  await mirror?.stop();
  await removeManagedImages(regionOne, SERIES);
  await removeManagedImages(regionTwo, SERIES);
}, 120_000);

let first: PublishedRelease | undefined;
const day1 = new Map<string, GlanceImage>();

describe('several targets from one download', () => {
  it('day 1: one download and one verification; both targets publish the release as their Latest', async () => {
    first = mirror.latest(SERIES);
    await feedCheck();
    await waitUntilIdle(app.runtime, allQueues, 300_000);
    for (const [target, client] of [
      ['region-one', regionOne],
      ['region-two', regionTwo],
    ] as const) {
      const images = await imagesIn(client);
      expect(images, target).toHaveLength(1);
      expect(images[0], target).toMatchObject({
        name: 'Debian 12 Bookworm - Latest',
        visibility: 'public',
        status: 'active',
        [PROPERTY.version]: first?.version,
      });
      day1.set(target, images[0] as GlanceImage);
    }
    // two Glances, two ids, the same bytes
    expect(day1.get('region-one')?.id).not.toBe(day1.get('region-two')?.id);
    expect(day1.get('region-one')?.os_hash_value).toBe(day1.get('region-two')?.os_hash_value);
    // fetched and verified once; uploaded once per target, each event naming its target
    expect(await eventsOf('downloaded')).toHaveLength(1);
    expect((await eventsOf('uploaded')).map((e) => e.target).sort()).toEqual([
      'region-one',
      'region-two',
    ]);
    // region one's upload was enqueued at the download's first bytes, to follow the staged
    // file (no artifact yet); region two's only once the download was verified
    const uploads = app.runtime.queue(uploadQueue);
    const one = await uploads.getJob(uploadJobId(SERIES, first?.version ?? '', 'region-one'));
    const two = await uploads.getJob(uploadJobId(SERIES, first?.version ?? '', 'region-two'));
    expect(uploadQueue.payload.parse(one?.data).artifact).toBeUndefined();
    expect(uploadQueue.payload.parse(two?.data).artifact?.size).toBeGreaterThan(0);
    // both done: nothing left in staging
    expect(staged()).toEqual([]);
    // each target's record of what it published
    for (const target of ['region-one', 'region-two'])
      expect((await app.recordsOf(target).published.get(SERIES))?.latest, target).toBe(
        first?.version,
      );
  }, 360_000);

  it('day 20: region two unreachable - region one publishes, region two waits, the targets are said to disagree; region two catches up', async () => {
    clock = onDay(20);
    const second = await mirror.publish(SERIES, { date: '2026-11-20' });
    proxy.outage(3_600_000, 'reset');
    await feedCheck();
    await until(async () => (await latestIn(regionOne))?.[PROPERTY.version] === second.version, {
      what: 'region one publishing the new release',
      ms: 120_000,
    });
    // region two's upload waits for it: delayed, none of its attempts used up
    const job = await app.runtime
      .queue(uploadQueue)
      .getJob(uploadJobId(SERIES, second.version, 'region-two'));
    await until(async () => (await job?.getState()) === 'delayed', {
      what: "region two's upload waiting for its target",
      ms: 60_000,
    });
    expect(job?.attemptsMade).toBe(0);
    expect(proxy.counts.unavailable).toBeGreaterThan(0);
    // the verified copy waits in staging for the target that does not have it
    expect(staged()).toEqual([second.version]);
    // region two's Glance itself (not through the proxy) still has the day-1 Latest
    expect((await latestIn(regionTwo))?.[PROPERTY.version]).toBe(first?.version);
    expect((await app.recordsOf('region-two').published.get(SERIES))?.latest).toBe(first?.version);

    // within the allowance the disagreement is only a gauge at 0; past it, an event says so
    expect((await app.disagreements()).get(SERIES)).toMatchObject({
      newest: second.version,
      ahead: ['region-one'],
      behind: [{ target: 'region-two', latest: first?.version }],
      overdue: false,
    });
    clock += 7 * 3600 * 1000;
    expect((await app.disagreements()).get(SERIES)?.overdue).toBe(true);
    await enqueueJanitorRun(app, [SERIES], 'region-one');
    await until(async () => (await eventsOf('targets-disagree')).length === 1, {
      what: 'a targets-disagree event',
      ms: 60_000,
    });
    expect((await eventsOf('targets-disagree'))[0]?.detail).toContain(
      `behind: region-two (${first?.version})`,
    );

    // region two comes back: its waiting upload runs, and the targets agree again
    proxy.outage(0);
    await until(async () => (await latestIn(regionTwo))?.[PROPERTY.version] === second.version, {
      what: 'region two catching up',
      ms: 120_000,
    });
    await waitUntilIdle(app.runtime, allQueues, 120_000);
    expect(staged()).toEqual([]);
    expect((await app.disagreements()).get(SERIES)).toBeUndefined();
    expect(await eventsOf('downloaded')).toHaveLength(2); // once per release, not per target
    for (const client of [regionOne, regionTwo]) {
      const images = await imagesIn(client);
      expect(images.map((i) => i[PROPERTY.state]).sort()).toEqual(['community', 'latest']);
    }
  }, 360_000);

  it('day 25: a server in RegionTwo keeps region one’s old image; region two’s copy, unused, is reaped there only', async () => {
    // a third release: the day-1 images leave the retention floor (one community image)
    clock = onDay(25);
    const third = await mirror.publish(SERIES, { date: '2026-11-25' });
    await feedCheck();
    await waitUntilIdle(app.runtime, allQueues, 300_000);
    for (const client of [regionOne, regionTwo])
      expect((await latestIn(client))?.[PROPERTY.version]).toBe(third.version);
    const oldOne = day1.get('region-one')?.id ?? '';
    const oldTwo = day1.get('region-two')?.id ?? '';
    // RegionTwo's Nova boots from region one's Glance: a server there uses region one's image
    const server = await tenantTwo.nova.createServer({
      name: `${prefix}-vm`,
      imageRef: oldOne,
      flavorRef: '3',
    });
    try {
      await tenantTwo.nova.waitForServerStatus(server.id, ['ACTIVE'], 120_000);
      // region one has no user of it at all
      const usersInRegionOne: string[] = [];
      for await (const user of regionOne.nova.listServers({ allTenants: true, image: oldOne }))
        usersInRegionOne.push(user.id);
      expect(usersInRegionOne).toEqual([]);
      // region one's scan covers RegionTwo's servers: the image is in use there
      const firstDay = await usageDay(); // region two's copy: first seen unused
      expect(firstDay.get('region-one')?.kept).toContainEqual({
        imageId: oldOne,
        because: `in use by server ${server.id} (ACTIVE) in RegionTwo`,
      });
      expect(firstDay.get('region-two')?.kept.map((k) => k.imageId)).not.toContain(oldOne);
      clock += 8 * DAY; // past the 7-day grace period
      const later = await usageDay();
      expect(later.get('region-two')?.reapJobs).toHaveLength(1);
      expect(later.get('region-one')?.reapJobs).toEqual([]);
      expect(await regionTwo.glance.findImage(oldTwo)).toBeUndefined();
      expect(await regionOne.glance.findImage(oldOne)).toMatchObject({ status: 'active' });
      expect((await regionOne.glance.getImage(oldOne))[PROPERTY.lastUsedAt]).toBeDefined();
      const reaped = await eventsOf('reaped');
      expect(reaped.map((e) => [e.target, e.imageId])).toEqual([['region-two', oldTwo]]);
      // the reap in region two left region one's images as they were, and its own newer ones
      expect((await imagesIn(regionOne)).map((i) => i.id)).toContain(oldOne);
      expect((await imagesIn(regionTwo)).map((i) => i[PROPERTY.state]).sort()).toEqual([
        'community',
        'latest',
      ]);
    } finally {
      await tenantTwo.nova.deleteServer(server.id);
      await tenantTwo.nova.waitForServerGone(server.id, 60_000);
    }
  }, 600_000);

  it('day 36: with the RegionTwo server gone, region one reaps its old image too', async () => {
    const oldOne = day1.get('region-one')?.id ?? '';
    clock = onDay(36);
    await usageDay(); // first seen unused
    clock += 8 * DAY;
    await usageDay();
    expect(await regionOne.glance.findImage(oldOne)).toBeUndefined();
    expect((await eventsOf('reaped')).map((e) => e.target).sort()).toEqual([
      'region-one',
      'region-two',
    ]);
  }, 300_000);

  it('region two down for longer than allowed: its upload gives up, staging stops waiting for it, and the next feed check catches it up', async () => {
    // the same deployment, allowing an outage of 3 s
    await app.stop();
    app = await startApp({ ...env, IMAGECYCLE_TARGET_OUTAGE_SECONDS: '3' });
    clock = onDay(50);
    const fourth = await mirror.publish(SERIES, { date: '2026-12-14' });
    proxy.outage(3_600_000, 'reset');
    await feedCheck();
    await until(
      async () =>
        (await eventsOf('gave-up')).find(
          (e) => e.target === 'region-two' && e.version === fourth.version,
        ),
      { what: "region two's upload giving up", ms: 120_000 },
    );
    await until(async () => (await latestIn(regionOne))?.[PROPERTY.version] === fourth.version, {
      what: 'region one publishing',
      ms: 120_000,
    });
    const job = await until(
      async () => {
        const found = await app.runtime
          .queue(uploadQueue)
          .getJob(uploadJobId(SERIES, fourth.version, 'region-two'));
        return (await found?.getState()) === 'failed' && found;
      },
      { what: "region two's upload failed for good", ms: 30_000 },
    );
    expect(job.failedReason).toMatch(/unreachable for \d+ s, longer than allowed/);
    // region one has it, region two gave up: the staged copy waits for nobody
    await until(() => Promise.resolve(staged().length === 0), {
      what: 'staging emptied',
      ms: 30_000,
    });
    expect((await app.metrics.uploadsGivenUp.get()).values).toEqual([
      { labels: { series: SERIES, target: 'region-two' }, value: 1 },
    ]);

    // back up; the next feed check sees region two without the release, downloads it again
    // (the copy is gone) and retries only region two's upload
    proxy.outage(0);
    await feedCheck();
    await until(async () => (await latestIn(regionTwo))?.[PROPERTY.version] === fourth.version, {
      what: 'region two catching up after giving up',
      ms: 180_000,
    });
    await waitUntilIdle(app.runtime, allQueues, 120_000);
    expect(staged()).toEqual([]);
    const downloads = (await eventsOf('downloaded')).filter((e) => e.version === fourth.version);
    expect(downloads).toHaveLength(2);
    const uploads = (await eventsOf('uploaded')).filter((e) => e.version === fourth.version);
    expect(uploads.map((e) => e.target).sort()).toEqual(['region-one', 'region-two']);
  }, 420_000);
});
