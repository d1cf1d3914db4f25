import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GlanceImage } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { decideUsage, forecastReaps } from '../src/index.ts';

const seriesWith = (keepLast: number, minimumAgeDays: number, gracePeriodDays: number) =>
  ({ id: 's', retention: { keepLast, minimumAgeDays }, gracePeriodDays }) as unknown as Series;
const community = (id: string, createdAt: string, extra: Record<string, unknown> = {}) =>
  ({
    id,
    created_at: createdAt,
    protected: false,
    imagecycle_state: 'community',
    ...extra,
  }) as unknown as GlanceImage;

describe('forecastReaps', () => {
  it('says why each community image is here: held by the floor, protected, in use, waiting, unchecked', () => {
    const images = [
      community('newest', '2026-12-10T00:00:00Z'),
      community('protected', '2026-11-01T00:00:00Z', { protected: true }),
      community('used', '2026-10-01T00:00:00Z', {
        imagecycle_last_used_at: '2026-12-19T04:00:00Z',
      }),
      community('unused', '2026-09-01T00:00:00Z', {
        imagecycle_unused_since: '2026-12-15T04:00:00.000Z',
      }),
      community('fresh', '2026-08-01T00:00:00Z'),
      { ...community('latest', '2026-12-18T00:00:00Z'), imagecycle_state: 'latest' },
    ] as GlanceImage[];
    const forecast = forecastReaps(seriesWith(1, 0, 7), images);
    expect(forecast.map((f) => [f.image.id, f.outlook])).toEqual([
      ['newest', 'held'],
      ['protected', 'held'],
      ['used', 'in-use'],
      ['unused', 'reap-after'],
      ['fresh', 'unchecked'],
    ]);
    expect(forecast[0]).toMatchObject({ because: 'retention floor: one of the newest 1' });
    expect(forecast[1]).toMatchObject({ because: 'protected' });
    expect(forecast[3]).toMatchObject({ reapAfter: '2026-12-22T04:00:00.000Z' });
  });

  it('the minimum age can push the reap date past the grace period', () => {
    const image = community('young', '2026-12-01T00:00:00Z', {
      imagecycle_unused_since: '2026-12-02T00:00:00.000Z',
    });
    const [forecast] = forecastReaps(seriesWith(0, 30, 7), [image]);
    expect(forecast).toMatchObject({
      outlook: 'reap-after',
      reapAfter: '2026-12-31T00:00:00.000Z',
    });
  });

  it('agrees with the usage check: not reaped an hour before the forecast date, reaped at it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 90 * 24 }),
        (minAge, grace, unusedHoursAfterCreate) => {
          const created = Date.parse('2026-06-01T00:00:00Z');
          const image = community('i', new Date(created).toISOString(), {
            imagecycle_unused_since: new Date(
              created + unusedHoursAfterCreate * 3600_000,
            ).toISOString(),
          });
          const series = seriesWith(0, minAge, grace);
          const [forecast] = forecastReaps(series, [image]);
          if (forecast?.outlook !== 'reap-after') return false;
          const at = Date.parse(forecast.reapAfter);
          const before = decideUsage(series, [image], new Map(), new Date(at - 3600_000))[0];
          const onDate = decideUsage(series, [image], new Map(), new Date(at))[0];
          return before?.reap === false && onDate?.reap === true;
        },
      ),
    );
  });

  it('holds an image whose unused-since or created_at date does not parse, naming it', () => {
    const series = seriesWith(0, 0, 7);
    const badSince = community('bad-since', '2026-09-01T00:00:00Z', {
      imagecycle_unused_since: 'x',
    });
    const emptySince = community('empty-since', '2026-09-02T00:00:00Z', {
      imagecycle_unused_since: '',
    });
    const badCreated = community('bad-created', '', {
      imagecycle_unused_since: '2026-12-15T04:00:00.000Z',
    });
    expect(
      forecastReaps(series, [badSince, emptySince, badCreated]).map((f) => [
        f.image.id,
        f.outlook,
        f.outlook === 'held' ? f.because : undefined,
      ]),
    ).toEqual([
      ['empty-since', 'held', "imagecycle_unused_since is not a date: ''"],
      ['bad-since', 'held', "imagecycle_unused_since is not a date: 'x'"],
      ['bad-created', 'held', "created_at is not a date: ''"],
    ]);
  });
});
