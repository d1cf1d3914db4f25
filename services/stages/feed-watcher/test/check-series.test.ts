// A series switched off in the catalogue (enabled: false) is validated but never checked: the
// check ends before the feed, what is published or the download queue is touched.
import { describe, expect, it } from 'vitest';
import type { Release } from '@imagecycle/contracts';
import type { PublishedVersions } from '@imagecycle/lifecycle';
import { type CheckSeriesDeps, checkSeries } from '../src/check-series.ts';

function untouchable(what: string): never {
  throw new Error(`a disabled series' check touched ${what}`);
}

const deps = (enabled: boolean, retired = false): CheckSeriesDeps => ({
  findSeries: (id) => ({ id, title: 'Windows Server 2019', retired, enabled }),
  readReleases: () => untouchable('the feed'),
  published: () => untouchable('what is published'),
  enqueueDownload: () => untouchable('the download queue'),
});

describe('checkSeries', () => {
  it('ends at once with outcome disabled for a series switched off, even a retired one', async () => {
    expect(await checkSeries({ series: 'windows-2019-gui' }, deps(false))).toEqual({
      series: 'windows-2019-gui',
      outcome: 'disabled',
    });
    expect(await checkSeries({ series: 'windows-2019-gui' }, deps(false, true))).toEqual({
      series: 'windows-2019-gui',
      outcome: 'disabled',
    });
  });

  it('reads the feed of an enabled series', async () => {
    await expect(checkSeries({ series: 'windows-2019-gui' }, deps(true))).rejects.toThrow(
      "a disabled series' check touched the feed",
    );
  });
});

describe('checkSeries with several targets, one of them behind', () => {
  const release = (version: string): Release => ({
    series: 'debian-12',
    version,
    buildDate: `${version.slice(0, 4)}-${version.slice(4, 6)}-${version.slice(6, 8)}`,
    url: `https://mirror.invalid/${version}/disk.qcow2`,
    diskFormat: 'qcow2',
    compression: 'none',
    checksum: { algorithm: 'sha512', value: 'a'.repeat(128) },
    signature: { status: 'not-required' },
    properties: {},
  });
  /** The feed lists `versions` (newest first); the targets have published `published`. */
  function world(versions: string[], published: PublishedVersions) {
    const enqueued: string[] = [];
    const deps: CheckSeriesDeps = {
      findSeries: (id) => ({ id, title: 'Debian 12', retired: false, enabled: true }),
      readReleases: () => Promise.resolve(versions.map(release)),
      published: () => Promise.resolve(published),
      enqueueDownload: (r) => {
        enqueued.push(r.version);
        return Promise.resolve({ jobId: `download--debian-12--${r.version}`, created: true });
      },
      now: () => new Date('2026-12-05T00:00:00Z'),
    };
    return { deps, enqueued };
  }

  it('downloads again the Latest a target lacks, beside the newest release', async () => {
    // region one published 20261103; region two gave up on it and still has 20261101; the
    // newest, 20261105, is new to both (it may yet fail verification)
    const { deps, enqueued } = world(['20261105', '20261103', '20261101'], {
      latest: '20261101',
      versions: ['20261101'],
      ahead: '20261103',
    });
    expect(await checkSeries({ series: 'debian-12' }, deps)).toMatchObject({
      outcome: 'new-release',
      version: '20261105',
      catchUp: { version: '20261103', jobId: 'download--debian-12--20261103', created: true },
    });
    expect(enqueued).toEqual(['20261103', '20261105']);
  });

  it('only the newest when the Latest ahead is the newest itself, nothing more once every target has it', async () => {
    const newest = world(['20261105', '20261103'], {
      latest: '20261103',
      versions: ['20261103'],
      ahead: '20261105',
    });
    const outcome = await checkSeries({ series: 'debian-12' }, newest.deps);
    expect(outcome).not.toHaveProperty('catchUp');
    expect(newest.enqueued).toEqual(['20261105']);
    const level = world(['20261105', '20261103'], {
      latest: '20261105',
      versions: ['20261103', '20261105'],
    });
    expect(await checkSeries({ series: 'debian-12' }, level.deps)).toEqual({
      series: 'debian-12',
      outcome: 'nothing-new',
      version: '20261105',
    });
    expect(level.enqueued).toEqual([]);
  });

  it('takes a release the feed no longer lists as it was downloaded before; none known, the newest alone', async () => {
    const gone = { latest: '20261101', versions: ['20261101'], ahead: '20261103' };
    const known = world(['20261105'], gone);
    const asked: string[] = [];
    const outcome = await checkSeries(
      { series: 'debian-12' },
      {
        ...known.deps,
        downloadedBefore: (series, version) => {
          asked.push(`${series} ${version}`);
          return Promise.resolve(release(version));
        },
      },
    );
    expect(outcome).toMatchObject({ catchUp: { version: '20261103', created: true } });
    expect(asked).toEqual(['debian-12 20261103']);
    expect(known.enqueued).toEqual(['20261103', '20261105']);
    const unknown = world(['20261105'], gone);
    expect(
      await checkSeries(
        { series: 'debian-12' },
        { ...unknown.deps, downloadedBefore: () => Promise.resolve(undefined) },
      ),
    ).not.toHaveProperty('catchUp');
    expect(unknown.enqueued).toEqual(['20261105']);
  });
});
