// Outages during a run, with `imagecycle all` as a real process: Glance answering 503 for a
// while (a fault-injecting proxy in front of the real Glance), Redis restarting in the middle
// of a download, and the mirror cutting a download halfway. Each time the release is
// published exactly once and nothing is left behind.
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  allQueues,
  downloadQueue,
  feedCheckQueue,
  PROPERTY,
  uploadQueue,
} from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { waitUntilIdle } from '@imagecycle/composition';
import type { QueueRuntime } from '@imagecycle/queues';
import { type Distro, type Mirror, startMirror } from '../mirror/index.ts';
import { cloudNames, connect } from '../support/clouds.ts';
import { removeManagedImages } from '../support/managed-images.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { startPrivateRedis } from '../support/private-redis.ts';
import { imagecycleEnv, type RunningProcess, startImagecycle } from '../support/processes.ts';
import { testRuntime } from '../support/queue-runtime.ts';
import { until as waitUntil } from '../support/until.ts';

const service = connect('service');
let mirror: Mirror;
let owner: string;
let baseEnv: NodeJS.ProcessEnv;
const cleanups: (() => Promise<unknown>)[] = [];

const imagesOf = (series: string) => listManagedImages(service.glance, { owner, series });

const removeImages = (series: string) => removeManagedImages(service, series);

const until = (probe: () => Promise<boolean>, ms: number, what: string) =>
  waitUntil(probe, {
    ms,
    what,
    intervalMs: 50,
    context: () => `imagecycle all said:\n${current?.stderr()}`,
  });

let current: RunningProcess | undefined;

/** A pipeline of its own: a queue prefix, a staging directory, `imagecycle all`. */
function pipeline(redisUrl: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const { prefix, runtime } = testRuntime('outage', { redisUrl });
  const staging = mkdtempSync(join(tmpdir(), 'outage-staging-'));
  const proc: RunningProcess = startImagecycle(['all'], {
    ...baseEnv,
    REDIS_URL: redisUrl,
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    IMAGECYCLE_STAGING_DIR: staging,
    ...extraEnv,
  });
  current = proc;
  cleanups.push(async () => {
    await proc.stop(10_000);
    await runtime.close();
  });
  return { runtime, proc, staging };
}

/** Workers of the named stages only, in a process of their own, on the pipeline's queues. */
function workers(stages: string[], from: { prefix: string; staging: string; redisUrl: string }) {
  const proc = startImagecycle(['worker', ...stages], {
    ...baseEnv,
    REDIS_URL: from.redisUrl,
    IMAGECYCLE_QUEUE_PREFIX: from.prefix,
    IMAGECYCLE_STAGING_DIR: from.staging,
  });
  current = proc;
  cleanups.push(() => proc.stop(10_000));
  return proc;
}

/** Exactly one image per version, all active, the newest one the Latest. */
async function expectPublishedOnce(series: string, version: string): Promise<void> {
  const images = await imagesOf(series);
  expect(images.map((i) => i.status)).toEqual(images.map(() => 'active'));
  const versions = images.map((i) => i[PROPERTY.version]);
  expect(new Set(versions).size, `one image per version: ${versions.join(', ')}`).toBe(
    images.length,
  );
  expect(images.find((i) => i[PROPERTY.state] === 'latest')?.[PROPERTY.version]).toBe(version);
}

async function failedJobs(runtime: QueueRuntime): Promise<number> {
  let failed = 0;
  for (const queue of allQueues) failed += await runtime.queue(queue).getFailedCount();
  return failed;
}

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01', images: { dataClusters: 64 } });
  owner = await service.projectId();
  baseEnv = imagecycleEnv(mirror, {
    IMAGECYCLE_JOB_LOCK_SECONDS: '2',
    IMAGECYCLE_RETRY_DELAY_SECONDS: '1',
    // `all` includes the control plane: on a free loopback port, in development mode
    IMAGECYCLE_HTTP_HOST: '127.0.0.1',
    IMAGECYCLE_HTTP_PORT: '0',
    IMAGECYCLE_DEV: '1',
  });
}, 60_000);

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
  mirror.faults.clear();
}, 60_000);

afterAll(async () => {
  await mirror.stop();
});

describe('outages during a run', () => {
  it('Glance answers 503 for twelve seconds from the moment the upload begins: requests retried, the job waits for Glance with no attempt used up, published once', async () => {
    const series: Distro = 'ubuntu-22.04';
    await removeImages(series);
    const proxy: FaultProxy = await startFaultProxy(await service.session.endpoint('image'));
    cleanups.push(() => proxy.close());
    // the service's own clouds.yaml entry, with Glance behind the proxy
    const clouds = parse(readFileSync(process.env.OS_CLIENT_CONFIG_FILE ?? '', 'utf8')) as {
      clouds: Record<string, Record<string, unknown>>;
    };
    const entry = clouds.clouds[cloudNames.service] ?? {};
    const file = join(mkdtempSync(join(tmpdir(), 'proxied-')), 'clouds.yaml');
    writeFileSync(
      file,
      // every entry stays: the smoke test boots in the catalogue's project, an entry of this file
      stringify({
        clouds: { ...clouds.clouds, proxied: { ...entry, image_endpoint_override: proxy.url } },
      }),
    );
    const { runtime } = pipeline(process.env.REDIS_URL ?? '', {
      OS_CLIENT_CONFIG_FILE: file,
      OS_CLOUD: 'proxied',
    });
    const release = mirror.latest(series);
    await runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' });
    await until(
      async () => (await runtime.queue(uploadQueue).getActiveCount()) > 0,
      60_000,
      'the upload',
    );
    // longer than a request's own retries (5 attempts, Retry-After 1 s): the job waits for its
    // target and runs again (IMAGECYCLE_TARGET_RETRY_SECONDS: the retry delay, 1 s here),
    // without using up an attempt - an outage of hours would otherwise exhaust them
    proxy.outage(12_000);
    await waitUntilIdle(runtime, allQueues, 120_000);
    expect(proxy.counts.unavailable).toBeGreaterThan(5);
    const [upload] = await runtime.queue(uploadQueue).getJobs(['completed']);
    expect(upload?.attemptsStarted).toBeGreaterThan(1);
    expect(upload?.attemptsMade).toBe(1);
    await expectPublishedOnce(series, release?.version ?? '');
    expect(await failedJobs(runtime)).toBe(0);
    await removeImages(series);
  }, 180_000);

  it('Redis restarts in the middle of a download: the workers reconnect and the release is published once', async () => {
    const series: Distro = 'debian-11';
    await removeImages(series);
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const { runtime } = pipeline(redis.url);
    const release = mirror.latest(series);
    const imagePath = release?.image.path ?? '';
    const imageGets = () =>
      mirror.requests.log.filter((e) => e.method === 'GET' && e.path === imagePath);
    // about four seconds of download: time to restart Redis underneath it
    mirror.faults.trickle(imagePath, { chunkBytes: 256 * 1024, intervalMs: 250 });
    await runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' });
    await until(
      async () =>
        (await runtime.queue(downloadQueue).getActiveCount()) > 0 &&
        mirror.requests.for(imagePath).bytes > 0,
      60_000,
      'the download',
    );
    // the moment Redis goes down, the image is on its way: some bytes sent, not all, no GET
    // of it finished (the log has a request once it ends)
    const sentBeforeKill = mirror.requests.for(imagePath).bytes;
    expect(sentBeforeKill).toBeGreaterThan(0);
    expect(sentBeforeKill).toBeLessThan(release?.image.size ?? 0);
    expect(imageGets()).toEqual([]);
    await redis.restart(1500);
    await waitUntilIdle(runtime, allQueues, 120_000);
    await expectPublishedOnce(series, release?.version ?? '');
    expect(await failedJobs(runtime)).toBe(0);
    expect(redis.restarts).toBe(1);
    // and the image was served to the end after the restart
    expect(mirror.requests.for(imagePath).bytes).toBeGreaterThanOrEqual(release?.image.size ?? 0);
    expect(imageGets().some((e) => !e.aborted)).toBe(true);
    await removeImages(series);
  }, 180_000);

  it('staged bytes that change after the download verified them: the upload removes them, the release is downloaded again and published once', async () => {
    const series: Distro = 'debian-12';
    await removeImages(series);
    const release = mirror.latest(series);
    const { prefix, runtime } = testRuntime('damaged', { redisUrl: process.env.REDIS_URL ?? '' });
    cleanups.push(() => runtime.close());
    const staging = mkdtempSync(join(tmpdir(), 'damaged-staging-'));
    const at = { prefix, staging, redisUrl: process.env.REDIS_URL ?? '' };
    const fetchers = workers(['feed-watcher', 'downloader'], at);
    await runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' });
    await until(
      async () => (await runtime.queue(uploadQueue).getWaitingCount()) === 1,
      60_000,
      'the verified release waiting for its upload',
    );
    // what a second writer of the release's .part (a worker that lost its job's lock)
    // did in the long soak: a chunk appended after the marker was written
    const [version] = readdirSync(join(staging, series));
    // the upload is enqueued as soon as the first bytes are staged (overlapped): the marker
    // comes after
    await until(
      () => Promise.resolve(existsSync(join(staging, series, version ?? '', 'verified.json'))),
      60_000,
      'the staging marker',
    );
    appendFileSync(join(staging, series, version ?? '', 'disk.img'), Buffer.alloc(64 * 1024));
    workers(['uploader', 'renamer'], at);
    await until(
      async () =>
        (await imagesOf(series)).some(
          (i) => i[PROPERTY.state] === 'latest' && i[PROPERTY.version] === release?.version,
        ),
      120_000,
      'the release published after all',
    );
    await waitUntilIdle(runtime, allQueues, 60_000);
    await expectPublishedOnce(series, release?.version ?? '');
    const fetches = mirror.requests.log.filter(
      (e) => e.method === 'GET' && e.path === release?.image.path,
    );
    expect(fetches.map((e) => e.status)).toEqual([200, 200]); // downloaded anew, not resumed
    expect(await failedJobs(runtime)).toBe(0); // the failed upload was retried and completed
    expect(readdirSync(join(staging, series))).toEqual([]);
    expect(fetchers.stderr()).not.toMatch(/uncaught/i);
    await removeImages(series);
  }, 240_000);

  it('the mirror cuts the download halfway: resumed with Range, published once, staging empty', async () => {
    const series: Distro = 'flatcar-stable';
    await removeImages(series);
    const release = mirror.latest(series);
    const cut = mirror.faults.truncate(release?.image.path ?? '', { times: 1 });
    const { runtime, staging } = pipeline(process.env.REDIS_URL ?? '');
    await runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' });
    await waitUntilIdle(runtime, allQueues, 120_000);
    cut.remove();
    await expectPublishedOnce(series, release?.version ?? '');
    const fetches = mirror.requests.log.filter(
      (e) => e.method === 'GET' && e.path === release?.image.path,
    );
    // the cut request may be logged after the resumed one: compare without order
    expect(fetches.map((e) => e.status).sort()).toEqual([200, 206]);
    expect(fetches.find((e) => e.status === 206)?.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(readdirSync(join(staging, series))).toEqual([]);
    await removeImages(series);
  }, 180_000);
});
