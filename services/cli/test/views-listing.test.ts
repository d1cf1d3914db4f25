// What `imagecycle status|images|plan` print, from read models built here (no Redis, no
// cloud): a deployment of one target prints what it printed before targets existed; one of
// several names the target of each row (a TARGET column after SERIES) and plans each target
// in its own section. --target is taken by the three. The commands against a real cloud are
// covered by the *.int.test.ts beside this file.
import { describe, expect, it } from 'vitest';
import { imagesOf, type Plan, type SeriesState } from '@imagecycle/overview';
import type { Authenticity } from '@imagecycle/series-catalogue';
import { parseCommandLine } from '../src/command-line.ts';
import { IMAGECYCLE } from '../src/commands/table.ts';
import { imagesListing, planListing, statusListing } from '../src/commands/views.ts';

const image = {
  id: 'img-latest',
  name: 'Debian 12 Bookworm - Latest',
  version: '20261101-1',
  state: 'latest',
  status: 'active',
  visibility: 'public',
  hidden: false,
  protected: false,
  createdAt: '2026-11-01T06:00:00Z',
  size: 4096,
};
const one: SeriesState = {
  id: 'debian-12',
  target: 'default',
  title: 'Debian 12 Bookworm',
  retired: false,
  enabled: true,
  replaceFrequency: 'weekly',
  upstream: { version: '20261108-1', buildDate: '2026-11-08', ageDays: 3, overdue: false },
  lastCheck: {
    series: 'debian-12',
    at: '2026-11-11T04:00:00.000Z',
    outcome: 'failed',
    message: 'upstream answered 503',
  },
  lastSmokeTest: {
    series: 'debian-12',
    at: '2026-11-10T04:02:31.000Z',
    result: 'failed',
    durationSeconds: 42,
    version: '20261108-1',
    imageId: 'img-new',
    message: 'no login prompt',
  },
  lastUsageCheck: {
    series: 'debian-12',
    at: '2026-11-11T06:00:00.000Z',
    outcome: 'checked',
    communityImages: 1,
    inUse: 1,
    newlyUnused: 0,
    handedToReaper: 0,
    kept: 0,
  },
  latest: image,
  community: [
    {
      ...image,
      id: 'img-old',
      name: 'Debian 12 Bookworm - 2026-10-01',
      version: '20261001-1',
      state: 'community',
      visibility: 'community',
      createdAt: '2026-10-01T06:00:00Z',
      outlook: 'in-use',
      lastUsedAt: '2026-11-11T06:00:00.000Z',
    },
  ],
  inFlight: [],
  reaped: [],
};
// the same series in a second target, whose upload of 20261101-1 has not happened yet
const two: SeriesState = {
  ...one,
  target: 'region-two',
  latest: { ...image, id: 'img-two', version: '20261001-1', createdAt: '2026-10-01T07:00:00Z' },
  community: [],
  lastSmokeTest: { ...one.lastSmokeTest!, result: 'passed', message: undefined },
  lastUsageCheck: undefined,
};
const first: SeriesState = { ...one, target: 'region-one' };
const signed = (): Authenticity => ({
  bytes: 'signed',
  version: 'unsigned',
  summary: 'the SHA512SUMS signature (required); the version and URL are not signed',
});

const plan = (target: string, extra: Partial<Plan> = {}): Plan => ({
  target,
  at: '2026-11-11T08:00:00.000Z',
  downloads: [],
  rejected: [],
  unchecked: [],
  renames: [],
  usage: [],
  reaps: [],
  repairs: [],
  scanned: { servers: 2, volumes: 1, incomplete: [] },
  ...extra,
});
const reap = { series: 'debian-12', imageId: 'img-old', name: 'old', version: '20261001-1' };

describe('imagecycle status', () => {
  it('of one target: no TARGET column, each note named by its series alone', () => {
    expect(statusListing([one], false, signed).table()).toEqual([
      'SERIES     LATEST      UPSTREAM    LAST CHECK               SMOKE TEST  COMMUNITY  NEXT REAP  IN FLIGHT  LAST USAGE CHECK',
      'debian-12  20261101-1  20261108-1  2026-11-11 04:00 failed  failed 42s  1          -          -          2026-11-11 06:00 checked',
      'debian-12: failed: upstream answered 503',
      'debian-12: smoke test of 20261108-1 failed after 42s: no login prompt',
      'debian-12: usage: 1 community, 1 in use, 0 newly unused, 0 handed to the reaper, 0 kept',
      '',
      'What is authenticated, per series:',
      'SERIES     BYTES   VERSION+URL  BY',
      'debian-12  signed  unsigned     the SHA512SUMS signature (required); the version and URL are not signed',
    ]);
  });

  it('of several: a row per series and target with its TARGET, notes of a target naming it, a feed check and its authentication once', () => {
    const listing = statusListing([first, two], true, signed);
    expect(listing.table()).toEqual([
      'SERIES     TARGET      LATEST      UPSTREAM    LAST CHECK               SMOKE TEST  COMMUNITY  NEXT REAP  IN FLIGHT  LAST USAGE CHECK',
      'debian-12  region-one  20261101-1  20261108-1  2026-11-11 04:00 failed  failed 42s  1          -          -          2026-11-11 06:00 checked',
      'debian-12  region-two  20261001-1  20261108-1  2026-11-11 04:00 failed  passed 42s  0          -          -          never',
      'debian-12: failed: upstream answered 503',
      'debian-12 in region-one: smoke test of 20261108-1 failed after 42s: no login prompt',
      'debian-12 in region-one: usage: 1 community, 1 in use, 0 newly unused, 0 handed to the reaper, 0 kept',
      '',
      'What is authenticated, per series:',
      'SERIES     BYTES   VERSION+URL  BY',
      'debian-12  signed  unsigned     the SHA512SUMS signature (required); the version and URL are not signed',
    ]);
    expect(listing.values()[1]).toMatch(/^debian-12 region-two 20261001-1 /);
    expect(
      (listing.document as { series: { id: string; target: string }[] }).series.map((s) => [
        s.id,
        s.target,
      ]),
    ).toEqual([
      ['debian-12', 'region-one'],
      ['debian-12', 'region-two'],
    ]);
  });
});

describe('imagecycle status with one of several targets down', () => {
  it('says the target is unreadable (once) and shows the other as usual', () => {
    const down: SeriesState = {
      ...two,
      latest: undefined,
      community: [],
      unreadable: 'glance: GET http://10.0.0.2:9292/v2/images failed: ECONNREFUSED',
    };
    const table = statusListing([first, down], true, signed).table();
    expect(table[1]).toMatch(/^debian-12 +region-one +20261101-1 /);
    expect(table[2]).toMatch(/^debian-12 +region-two +\(unreadable\) /);
    expect(table.filter((l) => l.startsWith('target region-two: unreadable: '))).toEqual([
      'target region-two: unreadable: glance: GET http://10.0.0.2:9292/v2/images failed: ECONNREFUSED',
    ]);
  });
});

describe('imagecycle images', () => {
  it('has a TARGET column after SERIES with several targets only', () => {
    expect(imagesListing(imagesOf([one]), false).table()[0]).toBe(
      'ID          SERIES     VERSION     STATE      UPLOADED    NAME                             OUTLOOK',
    );
    const several = imagesListing(imagesOf([first, two]), true).table();
    expect(several).toEqual([
      'ID          SERIES     TARGET      VERSION     STATE      UPLOADED    NAME                             OUTLOOK',
      'img-latest  debian-12  region-one  20261101-1  latest     2026-11-01  Debian 12 Bookworm - Latest      Latest',
      'img-two     debian-12  region-two  20261001-1  latest     2026-10-01  Debian 12 Bookworm - Latest      Latest',
      'img-old     debian-12  region-one  20261001-1  community  2026-10-01  Debian 12 Bookworm - 2026-10-01  in use, last used 2026-11-11',
    ]);
  });
});

describe('imagecycle plan', () => {
  it('of one target: the plan as before, its document the Plan', () => {
    const only = plan('default', { reaps: [reap] });
    const listing = planListing([only], false);
    expect(listing.table()).toEqual([
      'reap      debian-12 img-old "old" (20261001-1)',
      'plan: 0 download(s), 0 rejection(s), 0 image(s) to patch, 1 reap(s), 0 repair(s); usage from 2 server(s) and 1 volume(s); nothing was changed',
    ]);
    expect(listing.values()).toEqual(['reap      debian-12 img-old "old" (20261001-1)']);
    expect(listing.document).toBe(only);
  });

  it('of several: a section per target, each change of -f value led by its target, the document { plans }', () => {
    const plans = [
      plan('region-one', { reaps: [reap] }),
      plan('region-two', {
        scanned: { servers: 1, volumes: 0, incomplete: ['RegionThree: compute: a cell is down'] },
      }),
    ];
    const listing = planListing(plans, true);
    expect(listing.table()).toEqual([
      'target region-one:',
      '  reap      debian-12 img-old "old" (20261001-1)',
      '  plan: 0 download(s), 0 rejection(s), 0 image(s) to patch, 1 reap(s), 0 repair(s); usage from 2 server(s) and 1 volume(s); nothing was changed',
      '',
      'target region-two:',
      '  no reaps  usage scan incomplete: RegionThree: compute: a cell is down',
      '  plan: 0 download(s), 0 rejection(s), 0 image(s) to patch, 0 reap(s), 0 repair(s); usage from 1 server(s) and 0 volume(s); nothing was changed',
    ]);
    expect(listing.values()).toEqual([
      'region-one reap      debian-12 img-old "old" (20261001-1)',
      'region-two no reaps  usage scan incomplete: RegionThree: compute: a cell is down',
    ]);
    expect(listing.document).toEqual({ plans });
    // --target in a deployment of several: that target's section, its document the Plan
    const named = planListing([plans[1]!], true);
    expect(named.table()[0]).toBe('target region-two:');
    expect(named.document).toBe(plans[1]);
  });
});

describe('--target', () => {
  it('is taken by status, images and plan, as by janitor and usage-check', () => {
    for (const command of ['status', 'images', 'plan', 'janitor', 'usage-check']) {
      const call = parseCommandLine(IMAGECYCLE, [command, '--target', 'region-two']);
      if (call.help !== undefined) throw new Error('help');
      expect(call.options, command).toMatchObject({ target: 'region-two' });
    }
  });
});
