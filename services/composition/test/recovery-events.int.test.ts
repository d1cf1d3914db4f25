// A crash's leftovers are picked up out loud: a reap worker of a real App (Redis with a queue
// prefix of this file's own, Glance, Nova, Cinder, the mirror's catalogue) that finds its image
// retiring and deactivated - as a reap that died in its settle step leaves it - records a
// `recovered` event naming the stage before it goes on, and then the `reaped` one. The stages
// themselves are tested for each recovery (leftover candidate, partial download, reap in
// settle); this is the event they become.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allQueues, MANAGED_TAG, PROPERTY, reapQueue } from '@imagecycle/contracts';
import { createLogger } from '@imagecycle/observability';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { cloudNames, connect } from '@imagecycle/test/support/clouds';
import { removeManagedImages } from '@imagecycle/test/support/managed-images';
import { mirrorCatalogueVars } from '@imagecycle/test/support/mirror-catalogue';
import { App, loadSettings, waitUntilIdle } from '../src/index.ts';

const SERIES = 'debian-12';
const service = connect('service');
const prefix = `recovery-${randomBytes(4).toString('hex')}`;
let mirror: Mirror;
let app: App;

async function communityImage(version: string, state: string): Promise<string> {
  const image = await service.glance.createImage({
    name: `Debian 12 Bookworm - ${version}`,
    disk_format: 'raw',
    container_format: 'bare',
    visibility: 'community',
    tags: [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: SERIES,
      [PROPERTY.version]: version,
      [PROPERTY.state]: state,
    },
  });
  await service.glance.uploadImageData(image.id, Readable.from([randomBytes(4096)]));
  await service.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });
  return image.id;
}

beforeAll(async () => {
  await removeManagedImages(service, SERIES);
  mirror = await startMirror({ seed: '2026-11-01' });
  const env = {
    ...process.env,
    ...mirrorCatalogueVars(mirror),
    OS_CLOUD: cloudNames.service,
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    // a year on: no retention age holds the images the test makes today
    IMAGECYCLE_FAKE_NOW: new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString(),
    IMAGECYCLE_REAP_SETTLE_SECONDS: '0',
  };
  const quiet = createLogger({ name: 'recovery', level: 'silent' });
  app = await App.create({ settings: loadSettings(env), logger: quiet, env });
  await app.start([reapQueue]);
});

afterAll(async () => {
  for (const queue of allQueues) await app?.runtime.queue(queue).obliterate({ force: true });
  await app?.redis.del(`${prefix}:events`);
  await app?.stop();
  await mirror?.stop();
  await removeManagedImages(service, SERIES);
});

describe('a reap resumed at its settle step', () => {
  it('records a recovered event before it goes on, then reaps', async () => {
    // what a reap that died after deactivating leaves; a newer community image beside it
    // takes the catalogue's newest-one retention floor
    const left = await communityImage('20261001-1', 'retiring');
    await service.glance.deactivateImage(left);
    await communityImage('20261101-1', 'community');

    await app.runtime.enqueue(reapQueue, { series: SERIES, imageId: left });
    await waitUntilIdle(app.runtime, [reapQueue], 120_000);

    const events = (await app.events.recent(10, SERIES)).reverse();
    expect(events.map((e) => [e.type, e.imageId, e.detail])).toEqual([
      [
        'recovered',
        left,
        'reap: resuming a reap an earlier attempt left at its settle step (retiring, deactivated): usage check, settle, usage check',
      ],
      ['reaped', left, 'Debian 12 Bookworm - 20261001-1'],
    ]);
    expect(await service.glance.findImage(left)).toBeUndefined();
  });
});
