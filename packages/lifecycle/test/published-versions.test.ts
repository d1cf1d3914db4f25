import type { GlanceImage } from '@imagecycle/openstack';
import { describe, expect, it } from 'vitest';
import { publishedEverywhere, publishedVersions } from '../src/index.ts';

const image = (version: string | undefined, state: string): GlanceImage =>
  ({
    id: `${version}-${state}`,
    name: `${version}`,
    status: 'active',
    visibility: 'public',
    owner: 'service',
    protected: false,
    tags: ['imagecycle'],
    created_at: '2026-12-01T00:00:00Z',
    updated_at: '2026-12-01T00:00:00Z',
    imagecycle_series: 'ubuntu-24.04',
    ...(version === undefined ? {} : { imagecycle_version: version }),
    imagecycle_state: state,
  }) as unknown as GlanceImage;

describe('what a series has published, as the feed-watcher decides by it', () => {
  it('every version in any state, each once, in version order; the Latest is the newest latest or verified', () => {
    expect(
      publishedVersions([
        image('20261120', 'community'),
        image('20261201', 'candidate'),
        image('20261125', 'latest'),
        image('20261101', 'retiring'),
        image('20261125', 'community'),
        image('20261128', 'verified'),
      ]),
    ).toEqual({
      latest: '20261128',
      versions: ['20261101', '20261120', '20261125', '20261128', '20261201'],
    });
  });

  it('orders versions as the feed does, not as strings (44.20261018.3.0 before 44.20261101.2.0, 9 before 10)', () => {
    expect(
      publishedVersions([
        image('10.1-20261101', 'latest'),
        image('9.6-20261101', 'community'),
        image('44.20261101.2.0', 'community'),
        image('44.20261018.3.0', 'community'),
      ]).versions,
    ).toEqual(['9.6-20261101', '10.1-20261101', '44.20261018.3.0', '44.20261101.2.0']);
  });

  it('has no Latest while only candidates and community images exist; an image without a version is left out', () => {
    expect(
      publishedVersions([
        image('20261201', 'candidate'),
        image('20261101', 'community'),
        image(undefined, 'latest'),
      ]),
    ).toEqual({ versions: ['20261101', '20261201'] });
    expect(publishedVersions([])).toEqual({ versions: [] });
  });
});

describe('publishedEverywhere: one decision for every target', () => {
  it('counts a version as there only when every target holds it', () => {
    const combined = publishedEverywhere([
      { latest: '20261105', versions: ['20261101', '20261105'] },
      { latest: '20261101', versions: ['20261101'] },
    ]);
    expect(combined?.versions).toEqual(['20261101']);
  });

  it('takes the rollback floor from the target furthest behind', () => {
    expect(
      publishedEverywhere([
        { latest: '20261105', versions: ['20261105'] },
        { latest: '20261101', versions: ['20261101'] },
        { latest: '20261103', versions: ['20261103'] },
      ])?.latest,
    ).toBe('20261101');
  });

  it('has no floor while one target has no Latest, and no record while one has none', () => {
    expect(
      publishedEverywhere([{ latest: '20261105', versions: ['20261105'] }, { versions: [] }]),
    ).toEqual({ versions: [], ahead: '20261105' });
    expect(
      publishedEverywhere([{ latest: '20261105', versions: ['20261105'] }, undefined]),
    ).toBeUndefined();
  });

  it('names the Latest the targets behind lack (ahead), and none once every target has it', () => {
    expect(
      publishedEverywhere([
        { latest: '20261105', versions: ['20261101', '20261105'] },
        { latest: '20261101', versions: ['20261101'] },
        { latest: '20261103', versions: ['20261101', '20261103'] },
      ]),
    ).toEqual({ latest: '20261101', versions: ['20261101'], ahead: '20261105' });
    // a target with no Latest at all is behind too
    expect(
      publishedEverywhere([{ latest: '20261105', versions: ['20261105'] }, { versions: [] }])
        ?.ahead,
    ).toBe('20261105');
    // every target holds the newest Latest (one of them has moved on to it already)
    expect(
      publishedEverywhere([
        { latest: '20261105', versions: ['20261101', '20261105'] },
        { latest: '20261105', versions: ['20261105'] },
      ])?.ahead,
    ).toBeUndefined();
  });

  it('is the single target’s own record when there is one target', () => {
    const only = { latest: '20261105', versions: ['20261101', '20261105'] };
    expect(publishedEverywhere([only])).toEqual(only);
  });
});
