// Every worker killed with SIGKILL inside its job - mid-download, mid-upload, between promote
// and demote, between deactivate and delete - and restarted: the system converges, with no
// duplicate image, no orphan in Glance or staging, and no image lost. Real processes
// (`imagecycle worker <name>`), real Redis, the real OpenStack, the local mirror.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allQueues,
  feedCheckQueue,
  PROPERTY,
  reapQueue,
  reconcileQueue,
} from '@imagecycle/contracts';
import { latestName } from '@imagecycle/lifecycle';
import type { Failpoint } from '@imagecycle/failpoints';
import { listManagedImages } from '@imagecycle/inventory';
import type { GlanceImage } from '@imagecycle/openstack';
import { waitUntilIdle } from '@imagecycle/composition';
import { type Mirror, startMirror } from '../mirror/index.ts';
import { connect } from '../support/clouds.ts';
import { removeManagedImages } from '../support/managed-images.ts';
import {
  exitOf,
  imagecycleEnv,
  type RunningProcess,
  startImagecycle,
} from '../support/processes.ts';
import { testRuntime } from '../support/queue-runtime.ts';

const SERIES = 'debian-12';
const TITLE = 'Debian 12 Bookworm';
const service = connect('service');
const { prefix, runtime } = testRuntime('kill');
const staging = mkdtempSync(join(tmpdir(), 'kill-staging-'));
const running = new Map<string, RunningProcess>();
let mirror: Mirror;
let env: NodeJS.ProcessEnv;
let owner: string;

function worker(name: string, failpoint?: Failpoint): RunningProcess {
  const proc = startImagecycle(
    ['worker', name],
    { ...env, ...(failpoint ? { IMAGECYCLE_FAILPOINTS: failpoint } : {}) },
    `worker ${name}${failpoint ? ` (${failpoint})` : ''}`,
  );
  running.set(name, proc);
  return proc;
}

async function killedAt(proc: RunningProcess, failpoint: Failpoint): Promise<void> {
  const exit = await exitOf(proc, 120_000);
  expect(exit.signal, proc.stderr()).toBe('SIGKILL');
  expect(proc.stderr()).toContain(`failpoint ${failpoint}: SIGKILL`);
}

const images = () => listManagedImages(service.glance, { owner, series: SERIES });

function stagedFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path.slice(staging.length + 1));
    }
  };
  walk(staging);
  return files;
}

const removeSeriesImages = () => removeManagedImages(service, SERIES);

/** Converged: one public Latest of `version`, the rest dated community images, all active. */
function expectConverged(all: GlanceImage[], version: string): void {
  expect(all.map((i) => i.status)).toEqual(all.map(() => 'active'));
  const latest = all.filter((i) => i[PROPERTY.state] === 'latest');
  expect(latest).toHaveLength(1);
  expect(latest[0]).toMatchObject({
    name: latestName(TITLE),
    visibility: 'public',
    os_hidden: false,
    [PROPERTY.version]: version,
  });
  for (const image of all.filter((i) => i !== latest[0])) {
    // the test uploads several images a day: the second and later ones carry "#n"
    expect(image.name).toMatch(
      new RegExp(`^${TITLE} - ${image.created_at.slice(0, 10)}( #\\d+)?$`),
    );
    expect(image).toMatchObject({ visibility: 'community', [PROPERTY.state]: 'community' });
  }
  expect(new Set(all.map((i) => i.name)).size, 'names are unique').toBe(all.length);
  const versions = all.map((i) => i[PROPERTY.version]);
  expect(new Set(versions).size, 'one image per version').toBe(versions.length);
}

beforeAll(async () => {
  // 6 MiB images: enough chunks for a download and an upload to be cut in the middle
  mirror = await startMirror({ seed: '2026-11-01', images: { dataClusters: 96 } });
  owner = await service.projectId();
  env = imagecycleEnv(mirror, {
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    IMAGECYCLE_STAGING_DIR: staging,
    IMAGECYCLE_JOB_LOCK_SECONDS: '2',
    IMAGECYCLE_REAP_SETTLE_SECONDS: '1',
  });
  await removeSeriesImages();
  worker('feed-watcher');
}, 60_000);

afterAll(async () => {
  await Promise.all([...running.values()].map((proc) => proc.stop(10_000)));
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  await removeSeriesImages();
  await mirror.stop();
}, 120_000);

describe('workers killed with SIGKILL inside their jobs', () => {
  let day1: GlanceImage;

  it('day 1 publishes the series with every worker in its own process', async () => {
    for (const name of ['downloader', 'uploader', 'renamer']) worker(name);
    await runtime.enqueue(feedCheckQueue, { series: SERIES, trigger: 'manual' });
    await waitUntilIdle(runtime, allQueues, 120_000);
    const all = await images();
    expectConverged(all, mirror.latest(SERIES)?.version ?? '');
    day1 = all[0] as GlanceImage;
    for (const name of ['downloader', 'uploader', 'renamer'])
      expect((await running.get(name)?.stop())?.code).toBe(0);
  }, 180_000);

  it('mid-download, mid-upload and between promote and demote: each restart carries on, and the series converges', async () => {
    const release = await mirror.publish(SERIES, { date: '2026-11-20' });

    const downloader = worker('downloader', 'downloader:mid-download');
    await runtime.enqueue(feedCheckQueue, { series: SERIES, trigger: 'manual' });
    await killedAt(downloader, 'downloader:mid-download');
    // the part file, and how far it is durably written (for an upload that follows it)
    expect(stagedFiles().sort()).toEqual([
      `${SERIES}/${release.version}/download.part`,
      `${SERIES}/${release.version}/written.json`,
    ]);

    const uploader = worker('uploader', 'uploader:mid-upload');
    worker('downloader');
    await killedAt(uploader, 'uploader:mid-upload');
    const cut = (await images()).filter((i) => i[PROPERTY.version] === release.version);
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatchObject({ visibility: 'private', os_hidden: true });
    expect(cut[0]?.status).not.toBe('active');

    const renamer = worker('renamer', 'renamer:after-promote');
    worker('uploader');
    await killedAt(renamer, 'renamer:after-promote');
    const between = await images();
    // promotion comes first: a lookup by the Latest name finds an image all along
    const named = between.filter((i) => i.name === latestName(TITLE) && i.visibility === 'public');
    expect(named.map((i) => i[PROPERTY.version]).sort()).toEqual(
      [day1[PROPERTY.version], release.version].sort(),
    );

    worker('renamer');
    await waitUntilIdle(runtime, allQueues, 120_000);
    // the restarted downloader resumed the cut download instead of starting over
    const fetches = mirror.requests.log.filter(
      (entry) => entry.method === 'GET' && entry.path === release.image.path && entry.status < 300,
    );
    expect(fetches.map((entry) => entry.status)).toEqual([200, 206]);
    expect(fetches[1]?.range).toMatch(/^bytes=[1-9]\d*-$/);
    const after = await images();
    expect(after).toHaveLength(2);
    expectConverged(after, release.version);
    expect(after.find((i) => i[PROPERTY.state] === 'community')?.id).toBe(day1.id);
    expect(stagedFiles(), 'staging is empty once published').toEqual([]);
    const failed = await Promise.all(allQueues.map((q) => runtime.queue(q).getFailedCount()));
    expect(failed.reduce((a, b) => a + b, 0)).toBe(0);
  }, 300_000);

  it('after the last byte, before the checks: the restarted downloader verifies the whole file without fetching it again', async () => {
    for (const name of ['downloader', 'uploader', 'renamer']) await running.get(name)?.stop();
    const release = await mirror.publish(SERIES, { date: '2026-11-22' });
    const downloader = worker('downloader', 'downloader:after-last-byte');
    await runtime.enqueue(feedCheckQueue, { series: SERIES, trigger: 'manual' });
    await killedAt(downloader, 'downloader:after-last-byte');
    // the part file, and how far it is durably written (for an upload that follows it)
    expect(stagedFiles().sort()).toEqual([
      `${SERIES}/${release.version}/download.part`,
      `${SERIES}/${release.version}/written.json`,
    ]);

    for (const name of ['downloader', 'uploader', 'renamer']) worker(name);
    await waitUntilIdle(runtime, allQueues, 120_000);
    // the whole file was there: hashed and verified, its bytes never sent again - a feed
    // without the file's size costs one Range past the end, whose 416 names that length
    const fetches = mirror.requests.log.filter(
      (entry) => entry.method === 'GET' && entry.path === release.image.path,
    );
    expect(fetches.map((entry) => entry.status)).toEqual([200, 416]);
    expectConverged(await images(), release.version);
    expect(stagedFiles(), 'staging is empty once published').toEqual([]);
  }, 180_000);

  it('between deactivate and delete: the restarted reaper resumes at the settle step and deletes', async () => {
    const third = await mirror.publish(SERIES, { date: '2026-11-25' });
    await runtime.enqueue(feedCheckQueue, { series: SERIES, trigger: 'manual' });
    await waitUntilIdle(runtime, allQueues, 120_000);
    expectConverged(await images(), third.version);
    const before = new Map((await images()).map((i) => [i.id, i.name]));

    const reaper = worker('reaper', 'reaper:after-deactivate');
    await runtime.enqueue(reapQueue, { series: SERIES, imageId: day1.id });
    await killedAt(reaper, 'reaper:after-deactivate');
    expect(await service.glance.getImage(day1.id)).toMatchObject({
      status: 'deactivated',
      [PROPERTY.state]: 'retiring',
    });

    worker('reaper');
    await waitUntilIdle(runtime, allQueues, 60_000);
    expect(await service.glance.findImage(day1.id)).toBeUndefined();
    const left = await images();
    expect(left).toHaveLength(before.size - 1);
    expectConverged(left, third.version);
    // reconciling after the reap renames nothing (a name, once given, is kept)
    await runtime.enqueue(reconcileQueue, { series: SERIES, reason: 'after reap' });
    await waitUntilIdle(runtime, allQueues, 60_000);
    expect((await images()).map((i) => [i.id, i.name])).toEqual(
      left.map((i) => [i.id, before.get(i.id)]),
    );
    const reap = await runtime.queue(reapQueue).getJob(`reap--${day1.id}`);
    expect(reap?.returnvalue).toMatchObject({ imageId: day1.id, outcome: 'deleted' });
  }, 180_000);
});
