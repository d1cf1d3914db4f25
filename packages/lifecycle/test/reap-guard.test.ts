import { describe, expect, it } from 'vitest';
import type { GlanceImage } from '@imagecycle/openstack';
import { reapRefusal, type ReapContext } from '../src/index.ts';

const context: ReapContext = {
  owner: 'service',
  seriesId: 's',
  series: { retention: { keepLast: 0, minimumAgeDays: 0 } },
  rank: 3,
  now: new Date('2026-12-01T00:00:00Z'),
};
const image = (extra: Record<string, unknown> = {}) =>
  ({
    id: 'i',
    owner: 'service',
    tags: ['imagecycle'],
    protected: false,
    created_at: '2026-11-01T00:00:00Z',
    imagecycle_series: 's',
    imagecycle_state: 'community',
    ...extra,
  }) as unknown as GlanceImage;

describe('reapRefusal', () => {
  it('lets a community image go, never one that was not arranged or is the Latest', () => {
    expect(reapRefusal(image(), context)).toBeUndefined();
    for (const state of ['candidate', 'verified', 'latest'])
      expect(reapRefusal(image({ imagecycle_state: state }), context)).toBe(
        `is ${state}, not community`,
      );
  });

  it('refuses an image whose created_at or unused-since date does not parse, naming it', () => {
    expect(reapRefusal(image({ created_at: 'soon' }), context)).toBe(
      "created_at is not a date: 'soon'",
    );
    expect(reapRefusal(image({ imagecycle_unused_since: '' }), context)).toBe(
      "imagecycle_unused_since is not a date: ''",
    );
    expect(
      reapRefusal(image({ imagecycle_unused_since: '2026-11-20T04:00:00.000Z' }), context),
    ).toBeUndefined();
  });
});
