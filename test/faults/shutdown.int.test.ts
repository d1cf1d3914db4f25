// SIGTERM, as Kubernetes sends it: a worker stops taking jobs and lets the active one finish
// within IMAGECYCLE_DRAIN_SECONDS; a job still running at the deadline is cancelled (its
// signal aborted), put back in its queue and taken over by another worker - never lost,
// never failed, never done twice to Glance. Real processes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allQueues,
  downloadQueue,
  feedCheckQueue,
  MANAGED_TAG,
  PROPERTY,
  reapQueue,
} from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { waitUntilIdle } from '@imagecycle/composition';
import { type Distro, type Mirror, startMirror } from '../mirror/index.ts';
import { connect } from '../support/clouds.ts';
import { removeManagedImages } from '../support/managed-images.ts';
import {
  exitOf,
  imagecycleEnv,
  type RunningProcess,
  startImagecycle,
} from '../support/processes.ts';
import { testRuntime } from '../support/queue-runtime.ts';
import { until } from '../support/until.ts';

const service = connect('service');
const { prefix, runtime } = testRuntime('term');
const running: RunningProcess[] = [];
let mirror: Mirror;
let env: NodeJS.ProcessEnv;
let owner: string;

function start(args: string[], extra: NodeJS.ProcessEnv = {}): RunningProcess {
  const proc = startImagecycle(args, { ...env, ...extra });
  running.push(proc);
  return proc;
}

const imagesOf = (series: string) => listManagedImages(service.glance, { owner, series });

const removeImages = (series: string) => removeManagedImages(service, series);

/** A community image of the series, as an earlier publish would have left it. */
async function communityImage(series: string, version: string): Promise<string> {
  const created = await service.glance.createImage({
    name: `Shutdown OS - ${version}`,
    disk_format: 'raw',
    visibility: 'community',
    tags: [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: series,
      [PROPERTY.version]: version,
      [PROPERTY.state]: 'community',
    },
  });
  await service.glance.uploadImageData(created.id, Readable.from([randomBytes(1 << 20)]), {
    size: 1 << 20,
  });
  await service.glance.waitForImageStatus(created.id, ['active'], { timeoutMs: 60_000 });
  return created.id;
}

async function activeDownload(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await runtime.queue(downloadQueue).getActiveCount()) === 0) {
    if (Date.now() > deadline) throw new Error('no download became active');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function expectPublishedOnce(series: Distro): Promise<void> {
  const images = await imagesOf(series);
  expect(images).toHaveLength(1);
  expect(images[0]).toMatchObject({
    status: 'active',
    [PROPERTY.state]: 'latest',
    [PROPERTY.version]: mirror.latest(series)?.version,
  });
  let failed = 0;
  for (const queue of allQueues) failed += await runtime.queue(queue).getFailedCount();
  expect(failed).toBe(0);
}

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01', images: { dataClusters: 64 } });
  owner = await service.projectId();
  env = imagecycleEnv(mirror, {
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    IMAGECYCLE_STAGING_DIR: mkdtempSync(join(tmpdir(), 'term-staging-')),
    IMAGECYCLE_JOB_LOCK_SECONDS: '2',
  });
  // every other stage, in a process that stays up
  start(['worker', 'feed-watcher', 'uploader', 'renamer']);
}, 60_000);

afterAll(async () => {
  await Promise.all(running.map((proc) => proc.stop(10_000)));
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  await mirror.stop();
}, 60_000);

describe('SIGTERM', () => {
  it('within the drain deadline: the active download finishes, the worker exits 0, nothing is repeated', async () => {
    const series: Distro = 'ubuntu-22.04';
    await removeImages(series);
    const release = mirror.latest(series);
    // about four seconds of download
    mirror.faults.trickle(release?.image.path ?? '', { chunkBytes: 256 * 1024, intervalMs: 250 });
    const downloader = start(['worker', 'downloader'], { IMAGECYCLE_DRAIN_SECONDS: '60' });
    await runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' });
    await activeDownload();
    const stopped = Date.now();
    downloader.child.kill('SIGTERM');
    const exit = await exitOf(downloader, 60_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopped).toBeGreaterThan(1000); // it waited for the download
    const [job] = await runtime.queue(downloadQueue).getJobs(['completed']);
    expect(job?.attemptsMade).toBe(1);
    await waitUntilIdle(runtime, allQueues, 60_000);
    await expectPublishedOnce(series);
    // Ubuntu's feed names the file through the releases/server link: match the file name
    const file = release?.image.path.split('/').at(-1) ?? '';
    const gets = mirror.requests.log.filter((e) => e.method === 'GET' && e.path.endsWith(file));
    expect(gets.map((e) => e.status)).toEqual([200]);
    mirror.faults.clear();
    await removeImages(series);
  }, 120_000);

  it('past the drain deadline: the worker leaves, another recovers the cut download, published once', async () => {
    const series: Distro = 'debian-11';
    await removeImages(series);
    const release = mirror.latest(series);
    mirror.faults.trickle(release?.image.path ?? '', { chunkBytes: 128 * 1024, intervalMs: 250 });
    const first = start(['worker', 'downloader'], { IMAGECYCLE_DRAIN_SECONDS: '1' });
    await runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' });
    await activeDownload();
    const stopped = Date.now();
    first.child.kill('SIGTERM');
    expect(await exitOf(first, 30_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopped).toBeLessThan(6000); // it did not wait for the download
    // cancelled and put back: waiting for the next worker, no attempt counted, not failed
    const [cut, ...more] = await runtime.queue(downloadQueue).getJobs(['waiting']);
    expect(more).toEqual([]);
    expect(cut?.data).toMatchObject({ release: { series } });
    expect(cut?.attemptsMade).toBe(0);
    expect(await runtime.queue(downloadQueue).getActiveCount()).toBe(0);
    mirror.faults.clear();
    start(['worker', 'downloader']);
    await waitUntilIdle(runtime, allQueues, 120_000);
    await expectPublishedOnce(series);
    const done = (await runtime.queue(downloadQueue).getJobs(['completed'])).find(
      (job) => job.id === cut?.id,
    );
    expect(done?.attemptsMade).toBe(1);
    // the second worker resumed from what the first one had written
    const gets = mirror.requests.log.filter(
      (e) => e.path === release?.image.path && e.status < 300,
    );
    expect(gets.map((e) => e.status).sort()).toEqual([200, 206]);
    await removeImages(series);
  }, 180_000);

  it('past the drain deadline: a reap in its settle wait is cancelled, the process exits, the next reaper resumes it', async () => {
    const series = 'ubuntu-24.04';
    await removeImages(series);
    const older = await communityImage(series, '20261101');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // uploaded a second later
    await communityImage(series, '20261102'); // the newest: kept by the retention floor
    const drainSeconds = 2;
    const reaper = start(['worker', 'reaper'], {
      IMAGECYCLE_DRAIN_SECONDS: String(drainSeconds),
      IMAGECYCLE_REAP_SETTLE_SECONDS: '600',
      // no lock expiry to hide behind: a job left running would stay active for a minute
      IMAGECYCLE_JOB_LOCK_SECONDS: '60',
    });
    const job = await runtime.enqueue(reapQueue, { series, imageId: older });
    await until(async () => (await service.glance.getImage(older)).status === 'deactivated', {
      what: 'the reaper to deactivate the image and start its settle wait',
      ms: 60_000,
      context: () => reaper.stderr(),
    });
    const stopped = Date.now();
    reaper.child.kill('SIGTERM');
    expect(await exitOf(reaper, 30_000)).toEqual({ code: 0, signal: null });
    // the drain, then a moment for the cancelled handler to unwind - not the ten-minute settle
    expect(Date.now() - stopped).toBeLessThan((drainSeconds + 5) * 1000);
    // put back, not left active until its lock expires, and no attempt counted as failed
    const back = await runtime.queue(reapQueue).getJob(job.id ?? '');
    expect(await back?.getState()).toBe('waiting');
    expect(back?.attemptsMade).toBe(0);
    expect(await service.glance.getImage(older)).toMatchObject({
      status: 'deactivated',
      [PROPERTY.state]: 'retiring',
    });

    start(['worker', 'reaper'], { IMAGECYCLE_REAP_SETTLE_SECONDS: '1' });
    await waitUntilIdle(runtime, allQueues, 60_000);
    expect(await service.glance.findImage(older)).toBeUndefined();
    const done = await runtime.queue(reapQueue).getJob(job.id ?? '');
    expect(done?.returnvalue).toMatchObject({ imageId: older, outcome: 'deleted' });
    expect(done?.attemptsMade).toBe(1);
    expect(await runtime.queue(reapQueue).getFailedCount()).toBe(0);
    await removeImages(series);
  }, 120_000);
});
