import { describe, expect, it } from 'vitest';
import { diffImage, type GlanceImage } from '../src/index.ts';

const image = {
  id: 'i1',
  name: 'Ubuntu 24.04 Noble Numbat - Latest',
  visibility: 'public',
  os_hidden: false,
  protected: false,
  min_disk: 8,
  min_ram: 512,
  imagecycle_state: 'latest',
  os_purpose: 'generic',
  'odd/name~x': 'v',
} as unknown as GlanceImage;

describe('diffImage', () => {
  it('sends nothing when the image already is as desired', () => {
    expect(
      diffImage(image, {
        name: 'Ubuntu 24.04 Noble Numbat - Latest',
        visibility: 'public',
        os_hidden: false,
        properties: { imagecycle_state: 'latest' },
      }),
    ).toEqual([]);
  });

  it('replaces changed members, adds new properties and removes nulled ones', () => {
    expect(
      diffImage(image, {
        name: 'Ubuntu 24.04 Noble Numbat - 2026-11-20',
        visibility: 'community',
        os_hidden: true,
        properties: {
          imagecycle_state: 'community',
          imagecycle_unused_since: '2026-11-28',
          os_purpose: null,
          absent: null,
        },
      }),
    ).toEqual([
      { op: 'replace', path: '/name', value: 'Ubuntu 24.04 Noble Numbat - 2026-11-20' },
      { op: 'replace', path: '/visibility', value: 'community' },
      { op: 'replace', path: '/os_hidden', value: true },
      { op: 'replace', path: '/imagecycle_state', value: 'community' },
      { op: 'add', path: '/imagecycle_unused_since', value: '2026-11-28' },
      { op: 'remove', path: '/os_purpose' },
    ]);
  });

  it('escapes member names as JSON pointers', () => {
    expect(diffImage(image, { properties: { 'odd/name~x': 'w' } })).toEqual([
      { op: 'replace', path: '/odd~1name~0x', value: 'w' },
    ]);
  });
  it('adds missing tags with one replace of the whole list, and never removes one', () => {
    const tagged = { ...image, tags: ['imagecycle', 'os:ubuntu'] } as GlanceImage;
    expect(diffImage(tagged, { tags: ['managed_by_example', 'imagecycle'] })).toEqual([
      { op: 'replace', path: '/tags', value: ['imagecycle', 'os:ubuntu', 'managed_by_example'] },
    ]);
    expect(diffImage(tagged, { tags: ['imagecycle'] })).toEqual([]);
    expect(diffImage(tagged, {})).toEqual([]);
  });
});
