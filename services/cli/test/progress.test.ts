import { describe, expect, it } from 'vitest';
import { jobLine, renderBar } from '../src/progress.ts';

describe('renderBar', () => {
  it('fills in proportion, shows the percentage and MiB done of total', () => {
    expect(renderBar(512 * 1048576, 2048 * 1048576)).toBe(
      `[${'#'.repeat(7)}${'-'.repeat(21)}]  25%  512.0/2048.0 MiB`,
    );
    expect(renderBar(3, 3)).toMatch(/^\[#{28}\] 100%/);
  });

  it('never overflows: more done than total, or no total, stays within the bar', () => {
    expect(renderBar(10, 5)).toMatch(/^\[#{28}\] 100%/);
    expect(renderBar(5, 0)).toMatch(/^\[-{28}\] {3}0%/);
  });
});

describe('jobLine', () => {
  it('names the queue, the job, its state and the whole seconds waited', () => {
    expect(jobLine('usage-check', '17', 'active', 12.7)).toBe('usage-check  17  active  12 s');
  });
});
