import { describe, expect, it } from 'vitest';
import {
  imagesOf,
  outlookText,
  type CommunityView,
  type SeriesState,
  usageCheckText,
} from '../src/index.ts';

const image = (id: string, createdAt: string, state: string) => ({
  id,
  name: id,
  version: id,
  state,
  status: 'active',
  visibility: 'public',
  hidden: false,
  protected: false,
  createdAt,
});

describe('outlookText', () => {
  it('says why a community image is still here', () => {
    const base = image('c', '2026-11-01T00:00:00Z', 'community');
    const text = (extra: Partial<CommunityView>) =>
      outlookText({ ...base, outlook: 'unchecked', ...extra });
    expect(text({ outlook: 'held', because: 'protected' })).toBe('kept: protected');
    expect(
      text({
        outlook: 'in-use',
        lastUsedAt: '2026-12-01T04:00:00Z',
        because: 'in use by server 1',
      }),
    ).toBe('in use, last used 2026-12-01 (in use by server 1)');
    expect(
      text({
        outlook: 'reap-after',
        lastUsedAt: '2026-12-01T04:00:00Z',
        unusedSince: '2026-12-02T04:00:00Z',
        reapAfter: '2026-12-09T04:00:00Z',
      }),
    ).toBe('last used 2026-12-01, unused since 2026-12-02, reap after 2026-12-09');
    expect(text({})).toBe('usage not checked yet');
  });
});

describe('imagesOf', () => {
  it('lists every image of the series, filtered by state, newest upload first', () => {
    const states = [
      {
        id: 'a',
        latest: image('a-latest', '2026-11-03T00:00:00Z', 'latest'),
        community: [
          { ...image('a-old', '2026-11-01T00:00:00Z', 'community'), outlook: 'unchecked' },
        ],
        inFlight: [image('a-next', '2026-11-04T00:00:00Z', 'candidate')],
      },
      { id: 'b', community: [], inFlight: [] },
    ] as unknown as SeriesState[];
    expect(imagesOf(states).map((i) => [i.series, i.id])).toEqual([
      ['a', 'a-next'],
      ['a', 'a-latest'],
      ['a', 'a-old'],
    ]);
    expect(imagesOf(states, 'community').map((i) => i.id)).toEqual(['a-old']);
  });

  it('names the target of each image: one series in two targets lists both copies', () => {
    const states = [
      { id: 'a', target: 'one', latest: image('a-1', '2026-11-03T00:00:00Z', 'latest') },
      { id: 'a', target: 'two', latest: image('a-2', '2026-11-04T00:00:00Z', 'latest') },
    ].map((s) => ({ ...s, community: [], inFlight: [] })) as unknown as SeriesState[];
    expect(imagesOf(states).map((i) => [i.series, i.target, i.id])).toEqual([
      ['a', 'two', 'a-2'],
      ['a', 'one', 'a-1'],
    ]);
  });
});

describe('usageCheckText', () => {
  const check = {
    series: 's',
    at: '2026-12-05T06:00:00.000Z',
    outcome: 'checked' as const,
    communityImages: 4,
    inUse: 1,
    newlyUnused: 1,
    handedToReaper: 1,
    kept: 2,
  };
  it('says what the last usage check found, and the doubt of an incomplete scan', () => {
    expect(usageCheckText(check)).toBe(
      '4 community, 1 in use, 1 newly unused, 1 handed to the reaper, 2 kept',
    );
    expect(usageCheckText({ ...check, message: 'usage scan incomplete: a cell is down' })).toBe(
      '4 community, 1 in use, 1 newly unused, 1 handed to the reaper, 2 kept (usage scan incomplete: a cell is down)',
    );
  });
  it('a failed check says why, not counts', () => {
    expect(usageCheckText({ ...check, outcome: 'failed', message: 'Nova answered 503' })).toBe(
      'failed: Nova answered 503',
    );
  });
});
