// A series switched off in the catalogue (enabled: false) is validated but never checked: the
// check ends before the feed, what is published or the download queue is touched.
import { describe, expect, it } from 'vitest';
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
