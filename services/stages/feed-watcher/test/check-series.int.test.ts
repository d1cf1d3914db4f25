// checkSeries against the real Glance and a real Redis queue. The feed side is a fixed
// list of releases here; the feed readers are tested against the local mirror.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadQueue, MANAGED_TAG, PROPERTY, type Release } from '@imagecycle/contracts';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';
import { UnknownSeriesError } from '@imagecycle/series-catalogue';
import { checkSeries, type CheckSeriesDeps } from '../src/check-series.ts';
import { ReleaseRejected } from '../src/rejection.ts';

const service = connect('service');
const seriesId = runPrefix('watch');
const { runtime } = testRuntime('test', { queues: [downloadQueue] });
const images: string[] = [];

const release = (version: string, buildDate = '2026-11-20'): Release => ({
  series: seriesId,
  version,
  buildDate,
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
        ? { id, title: 'Test OS', retired: false, enabled: true }
        : id === 'old-os'
          ? { id, title: 'Old', retired: true, enabled: true }
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

  it("refuses a rollback: the feed's newest older than the Latest (or a verified image about to become it)", async () => {
    const latest = await service.glance.createImage({
      name: 'the Latest',
      disk_format: 'qcow2',
      os_hidden: true,
      tags: [MANAGED_TAG],
      properties: {
        [PROPERTY.series]: seriesId,
        [PROPERTY.version]: '20261125',
        [PROPERTY.state]: 'latest',
      },
    });
    images.push(latest.id);
    const before = await runtime.queue(downloadQueue).count();
    // the candidate of 20261120 above exists too: an older release taken back into the feed is
    // a rollback even when Glance still has it
    for (const newest of ['20261120', '20261101'] as const) {
      upstream = [release(newest)];
      const refused = await checkSeries({ series: seriesId }, deps).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ReleaseRejected);
      expect(refused).toMatchObject({
        reason: 'rollback',
        version: newest,
        message: `series ${seriesId} version ${newest}: rejected (rollback): the feed's newest version ${newest} is not newer than the series' Latest 20261125: a rollback is never published`,
      });
    }
    expect(await runtime.queue(downloadQueue).count()).toBe(before);
    // the Latest itself is nothing new; a newer release is new
    upstream = [release('20261125')];
    expect(await checkSeries({ series: seriesId }, deps)).toMatchObject({
      outcome: 'nothing-new',
      imageId: latest.id,
    });
    upstream = [release('20261126')];
    expect(await checkSeries({ series: seriesId }, deps)).toMatchObject({
      outcome: 'new-release',
      version: '20261126',
    });
  });

  it('refuses a version from the future, or a release dated in the future, before asking Glance', async () => {
    const now = () => new Date('2026-12-05T12:00:00Z');
    const cases: Array<[Release, RegExp]> = [
      [
        release('20991231', '2026-11-20'),
        /its version 20991231 is dated 2099-12-31, more than 2 day\(s\) after now \(2026-12-05\): a version from the future would freeze the series/,
      ],
      [
        release('20261201', '2027-03-01'),
        /its release date is 2027-03-01, more than 2 day\(s\) after now/,
      ],
    ];
    for (const [newest, why] of cases) {
      upstream = [newest];
      const refused = await checkSeries(
        { series: seriesId },
        {
          ...deps,
          now,
          glance: new Proxy(deps.glance, {
            get: () => {
              throw new Error('Glance was asked');
            },
          }),
        },
      ).catch((e: unknown) => e);
      expect(refused).toMatchObject({ reason: 'future-version', version: newest.version });
      expect((refused as Error).message).toMatch(why);
    }
    // within the tolerance (time zones): judged as usual
    upstream = [release('20261207', '2026-12-07')];
    expect(await checkSeries({ series: seriesId }, { ...deps, now })).toMatchObject({
      outcome: 'new-release',
      version: '20261207',
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
