// The feed-watcher over the whole default catalogue, against the local upstream mirror and a
// real Redis (what is published is the record the renamer and the janitor write from the
// real Glance): first run, a no-op second run, a new release, and a release whose signature
// or checksum has been tampered with.
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allQueues,
  downloadQueue,
  feedCheckQueue,
  MANAGED_TAG,
  PROPERTY,
} from '@imagecycle/contracts';
import { PublishedRecords } from '@imagecycle/events';
import { createLogger, createMetrics } from '@imagecycle/observability';
import type { Catalogue } from '@imagecycle/series-catalogue';
import { connect } from '@imagecycle/test/support/clouds';
import { removeManagedImages } from '@imagecycle/test/support/managed-images';
import { recordPublished } from '@imagecycle/test/support/published';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { loadMirrorCatalogue } from '@imagecycle/test/support/mirror-catalogue';
import {
  DocumentFetcher,
  FeedWatcher,
  type FeedCheckResult,
  RedisDocumentCache,
  SCHEDULE_PREFIX,
} from '../src/index.ts';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';

const service = connect('service');
const { prefix, runtime } = testRuntime('test');
const redis = new Redis(process.env.REDIS_URL ?? '');
const logLines: string[] = [];
const metrics = createMetrics({ defaultMetrics: false });
const images: string[] = [];
const published = new PublishedRecords(redis, `${prefix}:published`);
let mirror: Mirror;
let catalogue: Catalogue;
let watcher: FeedWatcher;

beforeAll(async () => {
  await removeManagedImages(service); // a demo or an earlier run may have left some
  mirror = await startMirror({ seed: '2026-11-01' });
  catalogue = await loadMirrorCatalogue(mirror);
  watcher = new FeedWatcher({
    catalogue,
    fetcher: new DocumentFetcher({
      cache: new RedisDocumentCache(redis, { prefix: `${prefix}:feed-cache:` }),
    }),
    published: (series) => published.get(series),
    runtime,
    logger: createLogger({
      name: 'feed-watcher-test',
      destination: new Writable({
        write: (chunk: Buffer, _e, cb) => {
          logLines.push(chunk.toString());
          cb();
        },
      }),
    }),
    metrics,
  });
});

afterAll(async () => {
  for (const id of images) await service.glance.deleteImage(id);
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  redis.disconnect();
  await mirror.stop();
});

const checkAll = async () => {
  const results: FeedCheckResult[] = [];
  for (const series of catalogue.series) results.push(await watcher.handle({ series: series.id }));
  return results;
};
const byOutcome = (results: FeedCheckResult[], outcome: string) =>
  results.filter((r) => r.outcome === outcome).map((r) => r.series);

describe('feed-watcher', () => {
  it('day 1: one download per series, each for the release the mirror published', async () => {
    const results = await checkAll();
    expect(byOutcome(results, 'new-release').sort()).toEqual(
      catalogue.series.map((s) => s.id).sort(),
    );
    expect(await runtime.queue(downloadQueue).count()).toBe(catalogue.series.length);
    const ubuntu = await runtime
      .queue(downloadQueue)
      .getJob(`download--ubuntu-24.04--${mirror.latest('ubuntu-24.04')?.version}`);
    expect((ubuntu?.data as { release?: unknown } | undefined)?.release).toMatchObject({
      url: mirror
        .latest('ubuntu-24.04')
        ?.image.url.replace('/releases/noble/', '/releases/server/releases/noble/'),
      checksum: { algorithm: 'sha256', value: mirror.latest('ubuntu-24.04')?.checksum.hex },
      signature: {
        status: 'verified',
        signedBy: mirror.keys['ubuntu-images'].subkeyFingerprint.toLowerCase(),
      },
    });
    const coreos = results.find((r) => r.series === 'fedora-coreos-stable');
    expect(coreos).toMatchObject({ outcome: 'new-release' });
  });

  it('a second run enqueues nothing and downloads no image bytes (conditional requests)', async () => {
    mirror.requests.reset();
    const results = await checkAll();
    expect(byOutcome(results, 'in-flight')).toHaveLength(catalogue.series.length);
    expect(await runtime.queue(downloadQueue).count()).toBe(catalogue.series.length);
    const imageBytes = mirror.requests.log.filter((entry) =>
      /\.(img|qcow2|raw|xz|bz2|gz)$/.test(entry.path),
    ).length;
    expect(imageBytes).toBe(0);
    expect(mirror.requests.log.filter((entry) => entry.status === 304).length).toBeGreaterThan(0);
  });

  it('a release already in Glance (even a hidden candidate), once recorded as the janitor does, is not fetched again', async () => {
    const version = mirror.latest('debian-12')?.version ?? '';
    await runtime.queue(downloadQueue).remove(`download--debian-12--${version}`);
    const image = await service.glance.createImage({
      name: 'Debian 12 Bookworm candidate',
      disk_format: 'qcow2',
      os_hidden: true,
      tags: [MANAGED_TAG],
      properties: { [PROPERTY.series]: 'debian-12', [PROPERTY.version]: version },
    });
    images.push(image.id);
    // what the janitor's pass (and the renamer's reconcile) records from its own listing
    await recordPublished(published, service, 'debian-12');
    expect(await watcher.handle({ series: 'debian-12' })).toMatchObject({
      series: 'debian-12',
      outcome: 'nothing-new',
      version,
    });
  });

  it('a new upstream release enqueues exactly that one', async () => {
    const before = await runtime.queue(downloadQueue).count();
    const published = await mirror.publish('ubuntu-22.04', { date: '2026-11-20' });
    const results = await checkAll();
    expect(byOutcome(results, 'new-release')).toEqual(['ubuntu-22.04']);
    expect(results.find((r) => r.series === 'ubuntu-22.04')).toMatchObject({
      version: published.version,
    });
    expect(await runtime.queue(downloadQueue).count()).toBe(before + 1);
  });

  it.each([
    [
      'a forged signature',
      'signature-invalid',
      (url: string) => mirror.faults.forgeSignature({ prefix: url }, { mode: 'other-key' }),
    ],
    [
      'a signature over other data',
      'signature-invalid',
      (url: string) => mirror.faults.forgeSignature({ prefix: url }, { mode: 'other-data' }),
    ],
    [
      'a dropped signature (policy required)',
      'signature-missing',
      (url: string) => mirror.faults.dropSignature({ prefix: url }),
    ],
    [
      'a swapped checksum',
      'signature-invalid',
      (url: string) => mirror.faults.swapChecksum({ prefix: url }),
    ],
    [
      'a products file that disagrees with the signed SHA256SUMS',
      'checksum-mismatch',
      // the streams re-signed over the swapped checksums: the .sjson verifies, SHA256SUMS
      // (signed by the images key) still says otherwise
      (url: string) => mirror.faults.swapChecksum({ prefix: `${url}streams/` }, { resign: true }),
    ],
    [
      'a products .sjson whose checksums were swapped without its signature',
      'signature-invalid',
      (url: string) => mirror.faults.swapChecksum({ prefix: `${url}streams/` }),
    ],
  ] as const)(
    'rejects %s: nothing enqueued, a metric and a log line say why',
    async (_label, reason, fault) => {
      const published = await mirror.publish('ubuntu-24.04');
      const handle = fault(mirror.url('/cloud-images.ubuntu.com/releases/'));
      try {
        const before = await runtime.queue(downloadQueue).count();
        const result = await watcher.handle({ series: 'ubuntu-24.04' });
        expect(result).toMatchObject({ outcome: 'rejected', reason });
        expect(await runtime.queue(downloadQueue).count()).toBe(before);
        expect(
          await metrics.registry.getSingleMetricAsString('imagecycle_release_rejections_total'),
        ).toContain(`series="ubuntu-24.04",reason="${reason}"`);
        expect(logLines.at(-1)).toContain('"event":"rejected"');
        expect(logLines.at(-1)).toContain(reason);
        void published;
      } finally {
        handle.remove();
      }
    },
  );

  it('schedules one daily check per series, idempotently', async () => {
    await watcher.syncSchedules();
    await watcher.syncSchedules();
    const schedulers = await runtime.queue(feedCheckQueue).getJobSchedulers(0, -1);
    expect(schedulers).toHaveLength(catalogue.series.length);
    expect(
      schedulers.every(
        (s) => s.key.startsWith(SCHEDULE_PREFIX) && s.pattern === '0 4 * * *' && s.tz === 'UTC',
      ),
    ).toBe(true);
  });
});
