// The status page's layout by target, from states built here: a deployment of one target gets
// the page it got before targets existed; one of several gets each target's series under the
// target's heading. The page against a real cloud is covered by
// services/composition/test/control-plane-api.int.test.ts.
import { describe, expect, it } from 'vitest';
import type { SeriesState } from '@imagecycle/overview';
import { renderStatusPage } from '../src/status-page.ts';

const latest = {
  id: 'img-latest',
  name: 'Debian 12 Bookworm - Latest',
  version: '20261101-1',
  state: 'latest',
  status: 'active',
  visibility: 'public',
  hidden: false,
  protected: false,
  createdAt: '2026-11-01T06:00:00Z',
};
const state = (id: string, target: string, withLatest: boolean): SeriesState => ({
  id,
  target,
  title: id === 'debian-12' ? 'Debian 12 Bookworm' : 'Ubuntu 24.04 <Noble>',
  retired: false,
  enabled: true,
  lastCheck: {
    series: id,
    at: '2026-12-05T04:00:00.000Z',
    outcome: id === 'debian-12' ? 'failed' : 'nothing-new',
  },
  ...(withLatest ? { latest: { ...latest, id: `${id}-${target}` } } : {}),
  community: [],
  inFlight: [],
  reaped: [],
});
const now = new Date('2026-12-05T08:00:00Z');
const sectionsOf = (html: string) =>
  [...html.matchAll(/<section data-series="([^"]+)"(?: data-target="([^"]+)")?>/g)].map((m) => [
    m[1],
    m[2],
  ]);

describe('the status page', () => {
  it('of one target: the series one after the other, no target named', () => {
    const html = renderStatusPage(
      [state('debian-12', 'default', true), state('ubuntu-24.04', 'default', false)],
      now,
    );
    expect(sectionsOf(html)).toEqual([
      ['debian-12', undefined],
      ['ubuntu-24.04', undefined],
    ]);
    expect(html).not.toContain('data-target');
    expect(html).not.toMatch(/Target |targets/);
    expect(html).toContain('<h2>Debian 12 Bookworm <small>debian-12</small></h2>');
    expect(html).toContain(
      '<p class="summary">2 series · 1 with a Latest · 0 community images · 1 needing attention',
    );
  });

  it("of several: each target's series under its heading, each naming its target; a series' feed problem counted once", () => {
    const html = renderStatusPage(
      [
        state('debian-12', 'region-one', true),
        state('ubuntu-24.04', 'region-one', true),
        state('debian-12', 'region-two', false),
        state('ubuntu-24.04', 'region-two', true),
      ],
      now,
    );
    const groups = [
      ...html.matchAll(
        /<div class="target" data-target="([^"]+)">\n<h2 class="target">Target ([^<]+)<\/h2>([\s\S]*?)\n<\/div>/g,
      ),
    ];
    expect(groups.map((g) => [g[1], g[2]])).toEqual([
      ['region-one', 'region-one'],
      ['region-two', 'region-two'],
    ]);
    expect(sectionsOf(groups[1]?.[3] ?? '')).toEqual([
      ['debian-12', 'region-two'],
      ['ubuntu-24.04', 'region-two'],
    ]);
    expect(groups[1]?.[3]).toContain(
      '<h3>Debian 12 Bookworm <small>debian-12 · in region-two</small></h3>',
    );
    // the title is escaped in every target
    expect(html.match(/Ubuntu 24\.04 &#60;Noble&#62;/g)).toHaveLength(2);
    expect(html).toContain(
      '<p class="summary">2 series in 2 targets · 3 of 4 with a Latest · 0 community images · 1 needing attention',
    );
  });
});
