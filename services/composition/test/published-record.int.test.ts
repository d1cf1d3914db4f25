// The feed-watcher uses no cloud account: what a series has published reaches it through the
// record the renamer writes after a reconcile and the janitor on each pass. Workers of a real
// App (Redis with this file's own queue prefix, Glance, the mirror's catalogue) for the feed
// check, the reconcile and the janitor - no downloader, so a download it asks for stays on
// its queue to be seen:
//   a reconcile records the series' Latest   -> the feed check finds nothing new
//   an operator deletes that image by hand   -> the janitor's pass drops it from the record
//                                            -> the next feed check downloads it again
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allQueues,
  downloadQueue,
  feedCheckQueue,
  janitorQueue,
  MANAGED_TAG,
  PROPERTY,
  reconcileQueue,
} from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { createLogger } from '@imagecycle/observability';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { cloudNames, connect } from '@imagecycle/test/support/clouds';
import { removeManagedImages } from '@imagecycle/test/support/managed-images';
import { mirrorCatalogueVars } from '@imagecycle/test/support/mirror-catalogue';
import { App, loadSettings, waitUntilIdle } from '../src/index.ts';

const SERIES = 'debian-12';
const service = connect('service');
const prefix = `published-${randomBytes(4).toString('hex')}`;
let mirror: Mirror;
let app: App;
let version: string;

/** One feed check of the series, run to its end; its result. */
async function feedCheck(): Promise<unknown> {
  const job = await app.runtime.enqueue(feedCheckQueue, { series: SERIES, trigger: 'manual' });
  await waitUntilIdle(app.runtime, [feedCheckQueue], 60_000);
  return (await app.runtime.queue(feedCheckQueue).getJob(job.id ?? ''))?.returnvalue;
}

beforeAll(async () => {
  await removeManagedImages(service, SERIES);
  mirror = await startMirror({ seed: '2026-11-01' });
  version = mirror.latest(SERIES)?.version ?? '';
  const env = {
    ...process.env,
    ...mirrorCatalogueVars(mirror),
    OS_CLOUD: cloudNames.service,
    IMAGECYCLE_QUEUE_PREFIX: prefix,
  };
  const quiet = createLogger({ name: 'published', level: 'silent' });
  app = await App.create({ settings: loadSettings(env), logger: quiet, env });
  await app.start([feedCheckQueue, reconcileQueue, janitorQueue]);
});

afterAll(async () => {
  for (const queue of allQueues) await app?.runtime.queue(queue).obliterate({ force: true });
  for (const key of ['events', 'published', 'checks']) await app?.redis.del(`${prefix}:${key}`);
  await app?.stop();
  await mirror?.stop();
  await removeManagedImages(service, SERIES);
});

describe('what is published, as the feed-watcher learns it', () => {
  it('a reconcile records the Latest, and the feed check finds nothing new', async () => {
    // the mirror's newest Debian 12, verified by an upload: the reconcile makes it the Latest
    const image = await service.glance.createImage({
      name: `Debian 12 Bookworm - ${version} (candidate)`,
      disk_format: 'raw',
      container_format: 'bare',
      visibility: 'private',
      os_hidden: true,
      tags: [MANAGED_TAG],
      properties: {
        [PROPERTY.series]: SERIES,
        [PROPERTY.version]: version,
        [PROPERTY.state]: 'verified',
      },
    });
    await service.glance.uploadImageData(image.id, Readable.from([randomBytes(4096)]));
    await service.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });

    await app.runtime.enqueue(reconcileQueue, { series: SERIES, reason: 'test' });
    await waitUntilIdle(app.runtime, [reconcileQueue], 60_000);
    expect(await app.published.get(SERIES)).toMatchObject({
      series: SERIES,
      latest: version,
      versions: [version],
      by: 'reconcile',
    });
    expect(await feedCheck()).toMatchObject({ outcome: 'nothing-new', version });
    expect(await app.runtime.queue(downloadQueue).count()).toBe(0);
  });

  it('an image deleted by hand leaves the record at the janitor’s pass, and is fetched again', async () => {
    const mine = await listManagedImages(service.glance, {
      owner: await service.projectId(),
      series: SERIES,
    });
    expect(mine.map((i) => [i[PROPERTY.version], i[PROPERTY.state]])).toEqual([
      [version, 'latest'],
    ]);
    await service.glance.deleteImage(mine[0]?.id ?? '');
    // the record still says published until someone lists Glance again
    expect(await feedCheck()).toMatchObject({ outcome: 'nothing-new' });

    await app.runtime.enqueue(janitorQueue, { trigger: 'manual', series: [SERIES] });
    await waitUntilIdle(app.runtime, [janitorQueue, reconcileQueue], 60_000);
    const record = await app.published.get(SERIES);
    expect(record).toMatchObject({ series: SERIES, versions: [], by: 'janitor' });
    expect(record?.latest).toBeUndefined();
    expect(await feedCheck()).toMatchObject({ outcome: 'new-release', version });
    expect(await app.runtime.queue(downloadQueue).getJobCounts('waiting')).toMatchObject({
      waiting: 1,
    });
  });
});
