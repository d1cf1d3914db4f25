import { describe, expect, it } from 'vitest';
import { withRing } from '../src/runtime.ts';

describe('withRing', () => {
  it('gives a bytes/total report the percentage Bull Board draws; leaves the rest alone', () => {
    expect(withRing({ phase: 'upload', bytes: 25, total: 200 })).toEqual({
      phase: 'upload',
      bytes: 25,
      total: 200,
      progress: 12,
    });
    expect(withRing(40)).toBe(40);
    expect(withRing({ phase: 'download', bytes: 10 })).toEqual({ phase: 'download', bytes: 10 });
    expect(withRing({ bytes: 1, total: 2, progress: 7 })).toEqual({
      bytes: 1,
      total: 2,
      progress: 7,
    });
  });
});
