// A usage check's findings for one series, as counts (the series' last usage check) and in
// words (its `usage-checked` event): an image in use is counted once, as in use, not as kept.
import { describe, expect, it } from 'vitest';
import { type SeriesUsage, usageCounts, usageSummary } from '../src/index.ts';

const found: SeriesUsage = {
  series: 'debian-12',
  communityImages: 5,
  inUse: ['img-vm'],
  newlyUnused: ['img-new'],
  handedToReaper: ['img-old'],
  kept: [
    { imageId: 'img-vm', because: 'in use by server 9c1e (ACTIVE)' },
    { imageId: 'img-new', because: 'unused for 0.0 of 7 grace days' },
    { imageId: 'img-prot', because: 'protected' },
  ],
};

describe('usageCounts', () => {
  it('counts each image once: in use, newly unused, handed to the reaper, kept for another reason', () => {
    expect(usageCounts(found)).toEqual({
      communityImages: 5,
      inUse: 1,
      newlyUnused: 1,
      handedToReaper: 1,
      kept: 2,
    });
  });
});

describe('usageSummary', () => {
  it('says the counts, then each image handed to the reaper and each kept one with why', () => {
    expect(usageSummary(found)).toBe(
      '5 community image(s), 1 in use, 1 newly unused, 1 handed to the reaper, 2 kept; ' +
        'img-old: handed to the reaper; img-vm: in use by server 9c1e (ACTIVE); ' +
        'img-new: unused for 0.0 of 7 grace days; img-prot: protected',
    );
  });

  it('a series without community images: the counts alone, so the event still says it ran', () => {
    expect(
      usageSummary({
        series: 'x',
        communityImages: 0,
        inUse: [],
        newlyUnused: [],
        handedToReaper: [],
        kept: [],
      }),
    ).toBe('0 community image(s), 0 in use, 0 newly unused, 0 handed to the reaper, 0 kept');
  });
});
