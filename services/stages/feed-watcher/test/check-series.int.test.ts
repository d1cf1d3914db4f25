// checkSeries against the real Glance and a real Redis queue. The feed side is a fixed
// list of releases here; the feed readers are tested against the local mirror.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadQueue, MANAGED_TAG, PROPERTY, type Release } from '@imagecycle/contracts';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';
import { UnknownSeriesError } from '@imagecycle/series-catalogue';
import { checkSeries, type CheckSeriesDeps } from '../src/check-series.ts';

const service = connect('service');
const seriesId = runPrefix('watch');
const { runtime } = testRuntime('test', { queues: [downloadQueue] });
const images: string[] = [];

const release = (version: string): Release => ({
  series: seriesId,
  version,
  buildDate: '2026-11-20',
  url: `https://example.test/${version}/disk.qcow2`,
  diskFormat: 'qcow2',
  compression: 'none',
  checksum: { algorithm: 'sha256', value: 'b'.repeat(64) },
  signature: { status: 'not-required' },
  properties: {},
});

let upstream: Release[] = [];
let deps: CheckSeriesDeps;

beforeAll(async () => {
  deps = {
    findSeries: (id) =>
      id === seriesId
        ? { id, title: 'Test OS', retired: false }
        : id === 'old-os'
          ? { id, title: 'Old', retired: true }
          : undefined,
    readReleases: () => Promise.resolve(upstream),
    glance: service.glance,
    owner: await service.projectId(),
    enqueueDownload: async (r) => {
      const existed = await runtime
        .queue(downloadQueue)
        .getJob(downloadQueue.jobId({ release: r }));
      return {
        jobId: (await runtime.enqueue(downloadQueue, { release: r })).id ?? '',
        created: !existed,
      };
    },
  };
});

afterAll(async () => {
  for (const id of images) await service.glance.deleteImage(id);
  await runtime.queue(downloadQueue).obliterate({ force: true });
  await runtime.close();
});

describe('checkSeries', () => {
  it('turns a new release into one download job, however often it is checked', async () => {
    upstream = [release('20261120'), release('20261101')];
    const first = await checkSeries({ series: seriesId }, deps);
    const second = await checkSeries({ series: seriesId }, deps);
    expect(first).toEqual({
      series: seriesId,
      outcome: 'new-release',
      version: '20261120',
      jobId: `download--${seriesId}--20261120`,
    });
    expect(second).toEqual({ ...first, outcome: 'in-flight' });
    expect(await runtime.queue(downloadQueue).count()).toBe(1);
  });

  it('says nothing new once a managed image of that version exists, even a hidden candidate', async () => {
    const image = await service.glance.createImage({
      name: 'candidate',
      disk_format: 'qcow2',
      os_hidden: true,
      tags: [MANAGED_TAG],
      properties: {
        [PROPERTY.series]: seriesId,
        [PROPERTY.version]: '20261120',
        [PROPERTY.state]: 'candidate',
      },
    });
    images.push(image.id);
    expect(await checkSeries({ series: seriesId }, deps)).toEqual({
      series: seriesId,
      outcome: 'nothing-new',
      version: '20261120',
      imageId: image.id,
    });
  });

  it('publishes nothing for a retired series, and names an unknown one', async () => {
    expect(await checkSeries({ series: 'old-os' }, deps)).toEqual({
      series: 'old-os',
      outcome: 'retired',
    });
    await expect(checkSeries({ series: 'nope' }, deps)).rejects.toThrow(
      new UnknownSeriesError('series "nope" is not in the catalogue'),
    );
  });
});
