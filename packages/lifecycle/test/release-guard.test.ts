import { describe, expect, it } from 'vitest';
import {
  futureRefusal,
  newestVersion,
  rollbackRefusal,
  versionDates,
} from '../src/release-guard.ts';

const now = new Date('2026-12-05T03:00:00Z');

describe('rollbackRefusal', () => {
  it('refuses a version older than the Latest, or a respin taken back', () => {
    expect(rollbackRefusal('20261101', '20261102')).toMatch(
      /newest version 20261101 is not newer than the series' Latest 20261102: a rollback is never published/,
    );
    expect(rollbackRefusal('20261101', '20261101.1')).toMatch(/rollback/);
    expect(rollbackRefusal('9.5-20261101', '9.10-20261001')).toMatch(/rollback/);
  });

  it('lets a newer version through, the Latest itself, and any version when there is no Latest', () => {
    expect(rollbackRefusal('20261101.1', '20261101')).toBeUndefined();
    expect(rollbackRefusal('9.10-20261001', '9.9-20261101')).toBeUndefined();
    expect(rollbackRefusal('20261101', '20261101')).toBeUndefined();
    expect(rollbackRefusal('20261101', undefined)).toBeUndefined();
  });

  it('newestVersion orders like the feeds', () => {
    expect(newestVersion(['20261101', '20261101.1', '20261031'])).toBe('20261101.1');
    expect(newestVersion([])).toBeUndefined();
  });
});

describe('futureRefusal', () => {
  it('reads the dates of date-based versions, and only real days', () => {
    expect(versionDates('20261101.1')).toEqual(['2026-11-01']);
    expect(versionDates('20261101-1502')).toEqual(['2026-11-01']);
    expect(versionDates('44.20261018.3.0')).toEqual(['2026-10-18']);
    expect(versionDates('9.6-20261101')).toEqual(['2026-11-01']);
    expect(versionDates('4230.2.3')).toEqual([]);
    expect(versionDates('2211')).toEqual([]);
    expect(versionDates('20261341')).toEqual([]); // no 41st of a 13th month
  });

  it('refuses a version dated more than the tolerance ahead of now', () => {
    expect(futureRefusal({ version: '20990101', buildDate: '2026-12-01' }, now)).toBe(
      'its version 20990101 is dated 2099-01-01, more than 2 day(s) after now (2026-12-05): a version from the future would freeze the series',
    );
    expect(futureRefusal({ version: '9-20261210.0' }, now)).toMatch(/dated 2026-12-10/);
  });

  it('refuses a release date in the future even when the version carries none', () => {
    expect(futureRefusal({ version: '4230.2.3', buildDate: '2027-01-15' }, now)).toMatch(
      /its release date is 2027-01-15, more than 2 day\(s\) after now/,
    );
    expect(
      futureRefusal({ version: '4230.2.3', buildDate: '2026-12-09T00:00:00Z' }, now, 3),
    ).toMatch(/more than 3 day\(s\)/);
  });

  it('accepts today, the tolerance (time zones) and the past', () => {
    expect(futureRefusal({ version: '20261205', buildDate: '2026-12-05' }, now)).toBeUndefined();
    expect(futureRefusal({ version: '20261207', buildDate: '2026-12-07' }, now)).toBeUndefined();
    expect(futureRefusal({ version: '2211', buildDate: '2022-11-30' }, now)).toBeUndefined();
  });
});
