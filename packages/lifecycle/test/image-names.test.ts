import { describe, expect, it } from 'vitest';
import { communityName, latestName } from '../src/index.ts';

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
});
