import { describe, expect, it } from 'vitest';
import type { GlanceImage } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { seriesStates } from '../src/index.ts';

const series = {
  id: 's',
  title: 'S',
  retired: false,
  properties: {},
  retention: { keepLast: 0, minimumAgeDays: 0 },
  gracePeriodDays: 7,
} as unknown as Series;
const image = (id: string, state: string, createdAt: string) =>
  ({
    id,
    name: id,
    status: 'active',
    visibility: 'private',
    os_hidden: true,
    protected: false,
    created_at: createdAt,
    imagecycle_series: 's',
    imagecycle_version: id,
    imagecycle_state: state,
  }) as unknown as GlanceImage;

describe('seriesStates', () => {
  it('shows a verified image the renamer has not arranged yet in flight, next to the Latest it may replace', () => {
    const [state] = seriesStates({
      catalogue: { series: [series] },
      images: [
        image('2', 'verified', '2026-11-02T00:00:00Z'),
        image('1', 'latest', '2026-11-01T00:00:00Z'),
        image('3', 'candidate', '2026-11-03T00:00:00Z'),
      ],
      checks: new Map(),
      events: [],
      now: new Date('2026-11-04T00:00:00Z'),
    });
    expect(state?.latest?.id).toBe('1');
    expect(state?.community).toEqual([]);
    expect(state?.inFlight.map((i) => [i.id, i.state])).toEqual([
      ['3', 'candidate'],
      ['2', 'verified'],
    ]);
  });

  it('a usage date that does not parse is left out of the view and named as the reason the image is held', () => {
    const bad = {
      ...image('1', 'community', '2026-11-01T00:00:00Z'),
      imagecycle_unused_since: 'x',
      imagecycle_last_used_at: 'yesterday',
    } as GlanceImage;
    const [state] = seriesStates({
      catalogue: { series: [series] },
      images: [bad],
      checks: new Map(),
      events: [],
      now: new Date('2026-11-04T00:00:00Z'),
    });
    const [view] = state?.community ?? [];
    expect(view).toMatchObject({
      outlook: 'held',
      because: "imagecycle_unused_since is not a date: 'x'",
    });
    expect(view && 'unusedSince' in view).toBe(false);
    expect(view && 'lastUsedAt' in view).toBe(false);
  });

  it("carries the series' last smoke test, its verdict and duration, and none before the first", () => {
    const failed = {
      series: 's',
      at: '2026-11-03T04:10:00.000Z',
      result: 'failed' as const,
      durationSeconds: 600.5,
      version: '3',
      imageId: 'img-3',
      message: 'S 3: the console log never matched /Cloud-init v\\. \\S+ finished at /',
    };
    const sources = {
      catalogue: { series: [series, { ...series, id: 't' } as Series] },
      images: [],
      checks: new Map(),
      smokeTests: new Map([['s', failed]]),
      events: [],
      now: new Date('2026-11-04T00:00:00Z'),
    };
    const [s, t] = seriesStates(sources);
    expect(s?.lastSmokeTest).toEqual(failed);
    expect(t).not.toHaveProperty('lastSmokeTest');
  });

  it('carries the last feed check and the last usage check of its own series only', () => {
    const usage = (series: string) => ({
      series,
      at: '2026-11-04T06:00:00.000Z',
      outcome: 'checked' as const,
      communityImages: 1,
      inUse: 1,
      newlyUnused: 0,
      handedToReaper: 0,
      kept: 0,
    });
    const sources = {
      catalogue: { series: [series, { ...series, id: 't' }] },
      images: [],
      checks: new Map(),
      usageChecks: new Map([['s', usage('s')]]),
      events: [],
      now: new Date('2026-11-04T08:00:00Z'),
    };
    const [s, t] = seriesStates(sources);
    expect(s?.lastUsageCheck).toEqual(usage('s'));
    expect(t && 'lastUsageCheck' in t).toBe(false);
  });

  it("is of one target: the default when none is named, and only that target's reaped images from the shared event stream", () => {
    const reaped = (imageId: string, target?: string) => ({
      type: 'reaped' as const,
      series: 's',
      imageId,
      version: imageId,
      at: '2026-11-03T00:00:00.000Z',
      ...(target ? { target } : {}),
    });
    // the default target's events carry no target; another target's name theirs
    const events = [reaped('in-default'), reaped('in-two', 'two'), reaped('in-three', 'three')];
    const sources = {
      catalogue: { series: [series] },
      images: [],
      checks: new Map(),
      events,
      now: new Date('2026-11-04T00:00:00Z'),
    };
    const [byDefault] = seriesStates(sources);
    expect(byDefault?.target).toBe('default');
    expect(byDefault?.reaped.map((r) => r.imageId)).toEqual(['in-default']);
    const [two] = seriesStates({ ...sources, target: 'two' });
    expect(two?.target).toBe('two');
    expect(two?.reaped.map((r) => r.imageId)).toEqual(['in-two']);
  });
});
