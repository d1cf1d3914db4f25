// checkSeries against a real Redis: its download queue and the record of what each series has
// published (which the renamer and the janitor write from Glance; that side is tested with
// them). The feed side is a fixed list of releases here; the feed readers are tested against
// the local mirror.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadQueue, type Release } from '@imagecycle/contracts';
import { PublishedRecords } from '@imagecycle/events';
import { runPrefix } from '@imagecycle/test/support/clouds';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';
import { UnknownSeriesError } from '@imagecycle/series-catalogue';
import { checkSeries, type CheckSeriesDeps } from '../src/check-series.ts';
import { ReleaseRejected } from '../src/rejection.ts';

const seriesId = runPrefix('watch');
const { runtime, prefix } = testRuntime('test', { queues: [downloadQueue] });
const redis = new Redis(process.env.REDIS_URL ?? '');
const published = new PublishedRecords(redis, `${prefix}:published`);

/** What the renamer or the janitor would record after listing the series' images. */
const publish = (versions: string[], latest?: string) =>
  published.record({
    series: seriesId,
    at: new Date().toISOString(),
    versions,
    ...(latest ? { latest } : {}),
    by: 'reconcile',
  });

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

beforeAll(() => {
  deps = {
    findSeries: (id) =>
      id === seriesId
        ? { id, title: 'Test OS', retired: false, enabled: true }
        : id === 'old-os'
          ? { id, title: 'Old', retired: true, enabled: true }
          : undefined,
    readReleases: () => Promise.resolve(upstream),
    published: (id) => published.get(id),
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
  await redis.del(`${prefix}:published`);
  redis.disconnect();
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

  it('says nothing new once the version is published, even as a candidate (no Latest yet)', async () => {
    await publish(['20261101', '20261120']);
    expect(await checkSeries({ series: seriesId }, deps)).toEqual({
      series: seriesId,
      outcome: 'nothing-new',
      version: '20261120',
    });
  });

  it("refuses a rollback: the feed's newest older than the recorded Latest", async () => {
    await publish(['20261120', '20261125'], '20261125');
    const before = await runtime.queue(downloadQueue).count();
    // 20261120 is still published too: an older release taken back into the feed is a
    // rollback even when Glance still has it
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
    expect(await checkSeries({ series: seriesId }, deps)).toEqual({
      series: seriesId,
      outcome: 'nothing-new',
      version: '20261125',
    });
    upstream = [release('20261126')];
    expect(await checkSeries({ series: seriesId }, deps)).toMatchObject({
      outcome: 'new-release',
      version: '20261126',
    });
  });

  it('refuses a version from the future, or a release dated in the future, before reading what is published', async () => {
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
          published: () => Promise.reject(new Error('what is published was read')),
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

  it('without a record (a new install, a lost Redis) the newest release is downloaded: the uploader judges it against Glance', async () => {
    await redis.hdel(`${prefix}:published`, seriesId);
    upstream = [release('20261102')];
    expect(await checkSeries({ series: seriesId }, deps)).toEqual({
      series: seriesId,
      outcome: 'new-release',
      version: '20261102',
      jobId: `download--${seriesId}--20261102`,
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
