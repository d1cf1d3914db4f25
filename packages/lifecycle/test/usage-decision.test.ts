import { describe, expect, it } from 'vitest';
import type { GlanceImage } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { decideUsage } from '../src/index.ts';

const series = {
  id: 's',
  retention: { keepLast: 0, minimumAgeDays: 0 },
  gracePeriodDays: 7,
} as unknown as Series;
const image = (extra: Record<string, string> = {}) =>
  ({
    id: 'i1',
    created_at: '2026-11-01T00:00:00Z',
    protected: false,
    imagecycle_state: 'community',
    ...extra,
  }) as unknown as GlanceImage;
const used = new Map([['i1', ['server x (ACTIVE)']]]);

describe('decideUsage', () => {
  it('records last use once a day: a later check the same day keeps the stamp, the next day renews it', () => {
    const morning = decideUsage(series, [image()], used, new Date('2026-12-01T04:00:00Z'))[0];
    expect(morning?.desired.properties?.imagecycle_last_used_at).toBe('2026-12-01T04:00:00.000Z');
    const stamped = image({ imagecycle_last_used_at: '2026-12-01T04:00:00.000Z' });
    const evening = decideUsage(series, [stamped], used, new Date('2026-12-01T20:00:00Z'))[0];
    expect(evening?.desired.properties?.imagecycle_last_used_at).toBe('2026-12-01T04:00:00.000Z');
    const nextDay = decideUsage(series, [stamped], used, new Date('2026-12-02T04:00:00Z'))[0];
    expect(nextDay?.desired.properties?.imagecycle_last_used_at).toBe('2026-12-02T04:00:00.000Z');
  });

  it('keeps an unused image through the grace period, then lets it go', () => {
    const since = image({ imagecycle_unused_since: '2026-12-01T04:00:00.000Z' });
    expect(
      decideUsage(series, [since], new Map(), new Date('2026-12-07T04:00:00Z'))[0],
    ).toMatchObject({ reap: false });
    expect(
      decideUsage(series, [since], new Map(), new Date('2026-12-08T04:00:00Z'))[0],
    ).toMatchObject({ reap: true });
  });
});
