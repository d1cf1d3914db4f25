// The feed-watcher's refusals of versions that cannot be rolled back or frozen, against the
// local mirror publishing each bad case, the real Glance (as the janitor records what is
// published) and a real Redis: a feed taken back
// to an older release than the Latest, a release from the future, and a signature withdrawn
// from a series seen signed - remembered in Redis across a restart of the watcher.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allQueues, downloadQueue, MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import { PublishedRecords } from '@imagecycle/events';
import { createLogger, createMetrics } from '@imagecycle/observability';
import type { Catalogue } from '@imagecycle/series-catalogue';
import { connect } from '@imagecycle/test/support/clouds';
import { removeManagedImages } from '@imagecycle/test/support/managed-images';
import { recordPublished } from '@imagecycle/test/support/published';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { loadMirrorCatalogue } from '@imagecycle/test/support/mirror-catalogue';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';
import {
  DocumentFetcher,
  FeedWatcher,
  MemoryDocumentCache,
  RedisSignedSeries,
} from '../src/index.ts';

const service = connect('service');
const { prefix, runtime } = testRuntime('refusals');
const connections: Redis[] = [];
let mirror: Mirror;
let catalogue: Catalogue;
let published: PublishedRecords;

/** A watcher as a (re)started process makes it: its own Redis connection, the same keys. */
function startWatcher(): FeedWatcher {
  const redis = new Redis(process.env.REDIS_URL ?? '');
  connections.push(redis);
  return new FeedWatcher({
    catalogue,
    fetcher: new DocumentFetcher({ cache: new MemoryDocumentCache() }),
    published: (series) => published.get(series),
    runtime,
    logger: createLogger({ name: 'refusals-test', level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    signedSeries: new RedisSignedSeries(redis, { prefix: `${prefix}:seen-signed:` }),
  });
}

beforeAll(async () => {
  await removeManagedImages(service);
  const redis = new Redis(process.env.REDIS_URL ?? '');
  connections.push(redis);
  published = new PublishedRecords(redis, `${prefix}:published`);
  mirror = await startMirror({ seed: '2026-11-01' });
  catalogue = await loadMirrorCatalogue(mirror);
});

afterAll(async () => {
  await removeManagedImages(service);
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  for (const redis of connections) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
  await mirror.stop();
});

describe('versions that cannot be rolled back or frozen', () => {
  it('a feed taken back below the Latest is refused as a rollback: nothing enqueued', async () => {
    const watcher = startWatcher();
    const newer = await mirror.publish('ubuntu-22.04', { date: '2026-11-20' });
    // the newer release is the series' Latest in Glance
    await service.glance.createImage({
      name: 'Ubuntu 22.04 Jammy Jellyfish - Latest',
      disk_format: 'qcow2',
      tags: [MANAGED_TAG],
      properties: {
        [PROPERTY.series]: 'ubuntu-22.04',
        [PROPERTY.version]: newer.version,
        [PROPERTY.state]: 'latest',
      },
    });
    await recordPublished(published, service, 'ubuntu-22.04');
    // upstream takes it back: the feed's newest is the seed release again
    await mirror.withdraw('ubuntu-22.04', newer.version);
    const older = mirror.latest('ubuntu-22.04')?.version ?? '';
    expect(older < newer.version).toBe(true);
    const before = await runtime.queue(downloadQueue).count();
    expect(await watcher.handle({ series: 'ubuntu-22.04' })).toEqual({
      series: 'ubuntu-22.04',
      outcome: 'rejected',
      reason: 'rollback',
      version: older,
      message: `series ubuntu-22.04 version ${older}: rejected (rollback): the feed's newest version ${older} is not newer than the series' Latest ${newer.version}: a rollback is never published`,
    });
    expect(await runtime.queue(downloadQueue).count()).toBe(before);
  });

  it('a release from the future is refused: the series is not frozen behind it', async () => {
    const watcher = startWatcher();
    const future = await mirror.publish('debian-12', { date: '2099-06-01' });
    const result = await watcher.handle({ series: 'debian-12' });
    expect(result).toMatchObject({
      outcome: 'rejected',
      reason: 'future-version',
      version: future.version,
    });
    expect((result as { message: string }).message).toMatch(
      new RegExp(
        `^series debian-12 version ${future.version}: rejected \\(future-version\\): its version ${future.version} is dated 2099-06-01, more than 2 day\\(s\\) after now \\(\\d{4}-\\d{2}-\\d{2}\\): a version from the future would freeze the series$`,
      ),
    );
    expect(
      await runtime.queue(downloadQueue).getJob(`download--debian-12--${future.version}`),
    ).toBe(undefined);
  });

  it('a signature withdrawn from a series seen signed is refused, also by a restarted watcher; a preview learns nothing', async () => {
    const signature = mirror.url('/builds.imagecycle.test/windows/manifest.json.asc');
    // a preview reads the signed manifest but keeps no memory of it
    expect(await startWatcher().preview('windows-2019-core')).toMatchObject({
      outcome: 'new-release',
    });
    const dropped = mirror.faults.dropSignature(signature, { times: 1 });
    expect(await startWatcher().preview('windows-2019-core')).toMatchObject({
      outcome: 'new-release',
    });
    expect(dropped.hits).toBe(1);
    dropped.remove();

    // a check verifies the signature, and that is remembered
    expect(await startWatcher().handle({ series: 'windows-2019-core' })).toMatchObject({
      outcome: 'new-release',
    });
    const handle = mirror.faults.dropSignature(signature);
    try {
      const restarted = startWatcher();
      expect(await restarted.handle({ series: 'windows-2019-core' })).toMatchObject({
        outcome: 'rejected',
        reason: 'signature-downgrade',
        message: expect.stringContaining(
          `${signature} is not published, but the series has been seen signed since`,
        ) as unknown,
      });
      // windows-2019-gui shares the manifest but was never checked: optional still means optional
      expect(await restarted.handle({ series: 'windows-2019-gui' })).toMatchObject({
        outcome: 'new-release',
      });
    } finally {
      handle.remove();
    }
  });
});
