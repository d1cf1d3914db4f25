import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GlanceImage } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import {
  decideUsage,
  forecastReaps,
  isIncompleteScanMark,
  publicKeepReason,
  reapRefusal,
  retentionHold,
} from '../src/index.ts';

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

  it('keeps an image whose unused-since date does not parse, naming it, and rewrites it to now so it heals', () => {
    const now = new Date('2026-12-20T04:00:00Z');
    for (const bad of ['x', '', 'yesterday 1', '1', '2026-12-01 04:00:00']) {
      const [decision] = decideUsage(
        series,
        [image({ imagecycle_unused_since: bad })],
        new Map(),
        now,
      );
      expect(decision).toMatchObject({
        reap: false,
        keptBecause: `imagecycle_unused_since is not a date: '${bad}'`,
        desired: { properties: { imagecycle_unused_since: '2026-12-20T04:00:00.000Z' } },
      });
    }
    // healed: the grace period counts from the day it was rewritten
    const healed = image({ imagecycle_unused_since: '2026-12-20T04:00:00.000Z' });
    expect(
      decideUsage(series, [healed], new Map(), new Date('2026-12-26T04:00:00Z'))[0]?.reap,
    ).toBe(false);
    expect(
      decideUsage(series, [healed], new Map(), new Date('2026-12-27T04:00:00Z'))[0]?.reap,
    ).toBe(true);
  });

  it('keeps an image whose created_at does not parse, naming it', () => {
    const since = { imagecycle_unused_since: '2026-01-01T00:00:00.000Z' };
    for (const bad of ['', 'not a date', 'foo 2']) {
      const [decision] = decideUsage(
        series,
        [image({ ...since, created_at: bad })],
        new Map(),
        new Date('2026-12-20T04:00:00Z'),
      );
      expect(decision).toMatchObject({
        reap: false,
        keptBecause: `created_at is not a date: '${bad}'`,
      });
    }
  });
});

// Dates fail closed: a date that does not parse keeps the image, whatever the string.
describe('unparseable dates', () => {
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const parses = (value: string) => iso.test(value) && !Number.isNaN(Date.parse(value));
  const anyDate = fc.oneof(
    fc.string(),
    fc.constantFrom('', ' ', 'x', 'NaN', 'null', '1', 'foo 2', '2026-13-45', '2026-12-01 04:00'),
    fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z') })
      .map((d) => (Number.isNaN(d.getTime()) ? 'invalid' : d.toISOString())),
  );

  it('property: no image with an unparseable imagecycle_unused_since or created_at is ever reaped', () => {
    const grace = { ...series, gracePeriodDays: 0 } as Series;
    fc.assert(
      fc.property(
        anyDate,
        anyDate,
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z') }),
        (unusedSince, createdAt, now) => {
          fc.pre(!Number.isNaN(now.getTime()));
          fc.pre(!parses(unusedSince) || !parses(createdAt));
          const subject = image({ imagecycle_unused_since: unusedSince, created_at: createdAt });
          const [decision] = decideUsage(grace, [subject], new Map(), now);
          expect(decision?.reap).toBe(false);
          // named, unless a hold that needs no date (an image from the future) came first
          expect(decision?.keptBecause).toMatch(/ is not a date: '|^retention floor: younger/);
          if (!parses(createdAt))
            expect(retentionHold(grace, subject, 5, now)).toBe(
              `created_at is not a date: '${createdAt}'`,
            );
          expect(
            reapRefusal(
              { ...subject, owner: 'me', tags: ['imagecycle'], imagecycle_series: 's' },
              { owner: 'me', seriesId: 's', series: grace, rank: 5, now },
            ),
          ).toMatch(/ is not a date: '/);
          const [forecast] = forecastReaps(grace, [subject]);
          expect(forecast).toMatchObject({ outlook: 'held' });
          if (!parses(unusedSince))
            expect(decision?.desired.properties?.imagecycle_unused_since).toBe(now.toISOString());
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('publicKeepReason', () => {
  const now = new Date('2026-12-06T05:00:00Z');
  it('never names another project’s servers or volumes', () => {
    const reason = publicKeepReason(
      'in use by server 4f1c-aa (ACTIVE), volume 77b (in-use) (found after deactivation)',
      now,
    );
    expect(reason).toBe('in use, last seen 2026-12-06');
    const doubt = publicKeepReason(
      'usage scan incomplete: compute: 1 server(s) in a cell that does not answer (status UNKNOWN, e.g. 9e1 of project 5c0)',
      now,
    );
    expect(doubt).toBe('usage scan incomplete: kept until a scan can prove it unused');
    expect(isIncompleteScanMark(doubt)).toBe(true);
  });
  it('keeps imagecycle’s own holds as they are', () => {
    expect(publicKeepReason('protected', now)).toBe('protected');
    expect(publicKeepReason('retention floor: one of the newest 2', now)).toBe(
      'retention floor: one of the newest 2',
    );
    expect(isIncompleteScanMark('protected')).toBe(false);
  });
});
