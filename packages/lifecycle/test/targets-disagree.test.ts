import { describe, expect, it } from 'vitest';
import { disagreementText, targetsDisagreement } from '../src/index.ts';

const now = new Date('2026-12-05T12:00:00Z');
const HOUR = 3600_000;
const hoursAgo = (h: number) => new Date(now.getTime() - h * HOUR).toISOString();

describe('targetsDisagreement', () => {
  it('is nothing while the targets agree, with one target, or while none has a Latest', () => {
    const same = [
      { target: 'one', latest: '20261205', since: hoursAgo(30) },
      { target: 'two', latest: '20261205', since: hoursAgo(1) },
    ];
    expect(targetsDisagreement(same, now, HOUR)).toBeUndefined();
    expect(targetsDisagreement([same[0] ?? { target: 'x' }], now, HOUR)).toBeUndefined();
    expect(targetsDisagreement([{ target: 'one' }, { target: 'two' }], now, HOUR)).toBeUndefined();
  });

  it('names who is ahead and behind, since the first target moved ahead', () => {
    const d = targetsDisagreement(
      [
        { target: 'one', latest: '20261205', since: hoursAgo(7) },
        { target: 'two', latest: '20261204', since: hoursAgo(30) },
        { target: 'three', latest: '20261205', since: hoursAgo(2) },
      ],
      now,
      6 * HOUR,
    );
    expect(d).toEqual({
      newest: '20261205',
      ahead: ['one', 'three'],
      behind: [{ target: 'two', latest: '20261204' }],
      since: hoursAgo(7),
      overdue: true,
    });
    expect(d && disagreementText(d)).toBe(
      `one, three at 20261205 since ${hoursAgo(7)}; behind: two (20261204)`,
    );
  });

  it('is not overdue within the allowance, and counts a target without a Latest as behind', () => {
    const d = targetsDisagreement(
      [{ target: 'one', latest: '20261205', since: hoursAgo(5) }, { target: 'two' }],
      now,
      6 * HOUR,
    );
    expect(d?.overdue).toBe(false);
    expect(d?.behind).toEqual([{ target: 'two', latest: undefined }]);
    expect(
      targetsDisagreement(
        [{ target: 'one', latest: '20261205', since: hoursAgo(6.01) }, { target: 'two' }],
        now,
        6 * HOUR,
      )?.overdue,
    ).toBe(true);
  });
});
