import { describe, expect, it } from 'vitest';
import { communityName, datedStem, latestName } from '../src/index.ts';

describe('image names', () => {
  it('names the Latest and the dated community images', () => {
    expect(latestName('Ubuntu 22.04 Jammy Jellyfish')).toBe(
      'Ubuntu 22.04 Jammy Jellyfish - Latest',
    );
    expect(communityName('Debian 12 Bookworm', '2026-11-01T08:15:00Z')).toBe(
      'Debian 12 Bookworm - 2026-11-01',
    );
    expect(communityName('Debian 12 Bookworm', '2026-11-01T18:15:00Z', 2)).toBe(
      'Debian 12 Bookworm - 2026-11-01 #2',
    );
  });
  it('refuses a date that is not ISO', () => {
    expect(() => communityName('X', 'yesterday')).toThrow('not an ISO date');
  });
  it('the scs scheme: "<Title>" for the Latest, "<Title> <YYYYMMDD of the build>" for older images', () => {
    expect(latestName('Ubuntu 24.04', 'scs')).toBe('Ubuntu 24.04');
    const image = { created_at: '2026-11-03T08:00:00Z', image_build_date: '2026-11-01 22:00' };
    expect(datedStem('Ubuntu 24.04', image, 'scs')).toBe('Ubuntu 24.04 20261101');
    expect(datedStem('Ubuntu 24.04', image, 'default')).toBe('Ubuntu 24.04 - 2026-11-03');
    expect(datedStem('Ubuntu 24.04', { created_at: '2026-11-03T08:00:00Z' }, 'scs')).toBe(
      'Ubuntu 24.04 20261103',
    );
  });
});
