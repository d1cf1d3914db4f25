// planRun for one target, with Nova and Cinder fed in their documented shapes: the usage scan
// covers the target's own region and every compute region booting from its Glance (as the
// usage check's does), and a release the target already holds is no download there. The
// real clouds are covered by services/composition/test/control-plane-api.int.test.ts.
import { describe, expect, it } from 'vitest';
import type { CinderClient, GlanceImage, NovaClient, Server, Volume } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { type CheckPreview, planRun } from '../src/index.ts';

async function* each<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

/** Nova of one region: its live servers; `maximum` below 2.69 leaves down cells unseen. */
function nova(live: readonly Server[], maximum = '2.96'): NovaClient {
  return {
    maximumMicroversion: () => Promise.resolve(maximum),
    listsDownCells: () => Promise.resolve(Number(maximum.split('.')[1]) >= 69),
    listServers: (options: { deleted?: boolean } = {}) => each(options.deleted ? [] : live),
  } as unknown as NovaClient;
}
const cinder = {
  caller: () => Promise.resolve({ projectId: 'p-admin', roles: ['admin'] }),
  listVolumes: () => each<Volume>([]),
} as unknown as CinderClient;
const server = (id: string, image: string): Server => ({
  id,
  name: id,
  status: 'ACTIVE',
  tenant_id: 'tenant-1',
  image: { id: image },
  created: '2026-11-20T00:00:00Z',
});

const series = {
  id: 'debian-12',
  title: 'Debian 12 Bookworm',
  retired: false,
  enabled: true,
  communityHidden: false,
  properties: { os_distro: 'debian' },
  retention: { keepLast: 0, minimumAgeDays: 0 },
  gracePeriodDays: 7,
} as unknown as Series;
const image = (id: string, version: string, state: string, name: string, createdAt: string) =>
  ({
    id,
    name,
    status: 'active',
    visibility: state === 'latest' ? 'public' : 'community',
    os_hidden: state !== 'latest',
    protected: false,
    created_at: createdAt,
    os_distro: 'debian',
    imagecycle_series: 'debian-12',
    imagecycle_version: version,
    imagecycle_state: state,
    // unused for a month: past the 7 grace days
    ...(state === 'community' ? { imagecycle_unused_since: '2026-11-01T00:00:00.000Z' } : {}),
  }) as unknown as GlanceImage;
const v1 = image(
  'img-v1',
  '20261001-1',
  'community',
  'Debian 12 Bookworm - 2026-10-01',
  '2026-10-01T06:00:00Z',
);
const v2 = image(
  'img-v2',
  '20261015-1',
  'community',
  'Debian 12 Bookworm - 2026-10-15',
  '2026-10-15T06:00:00Z',
);
const v3 = image(
  'img-v3',
  '20261101-1',
  'latest',
  'Debian 12 Bookworm - Latest',
  '2026-11-01T06:00:00Z',
);
const now = new Date('2026-12-05T08:00:00Z');
const nothingNew = (): Promise<CheckPreview> => Promise.resolve({ outcome: 'nothing-new' });

describe('planRun in one target', () => {
  it("scans the target's own region and every region booting from its Glance: an image used in another region is kept", async () => {
    const plan = await planRun({
      target: 'region-one',
      series: [series],
      previewCheck: nothingNew,
      images: [v1, v2, v3],
      nova: nova([]),
      cinder,
      region: 'RegionOne',
      alsoIn: [{ region: 'RegionTwo', nova: nova([server('vm-2', 'img-v1')]), cinder }],
      now,
    });
    expect(plan.target).toBe('region-one');
    expect(plan.scanned).toEqual({ servers: 1, volumes: 0, incomplete: [] });
    // v1 is used in RegionTwo: its last use is recorded and it is not reaped; v2 is
    expect(plan.reaps.map((r) => r.imageId)).toEqual(['img-v2']);
    const v1Usage = plan.usage.find((u) => u.imageId === 'img-v1');
    expect(v1Usage?.ops.map((op) => op.path).sort()).toEqual([
      '/imagecycle_last_used_at',
      '/imagecycle_unused_since',
    ]);
  });

  it('reaps nothing while the scan of a further region is in doubt, and says which region', async () => {
    const plan = await planRun({
      target: 'region-one',
      series: [series],
      previewCheck: nothingNew,
      images: [v1, v2, v3],
      nova: nova([]),
      cinder,
      region: 'RegionOne',
      alsoIn: [{ region: 'RegionTwo', nova: nova([], '2.60'), cinder }],
      now,
    });
    expect(plan.reaps).toEqual([]);
    expect(plan.scanned.incomplete).toEqual([
      expect.stringMatching(/^RegionTwo: compute API offers microversion 2\.60 \(< 2\.69\)/),
    ]);
  });

  it('a release new to another target is no download in a target that holds it; one lacking it names its Latest to demote', async () => {
    const preview = (): Promise<CheckPreview> =>
      Promise.resolve({ outcome: 'new-release', version: '20261201-1', buildDate: '2026-12-01' });
    const v4 = image(
      'img-v4',
      '20261201-1',
      'latest',
      'Debian 12 Bookworm - Latest',
      '2026-12-01T06:00:00Z',
    );
    const ahead = await planRun({
      target: 'region-one',
      series: [series],
      previewCheck: preview,
      images: [{ ...v3, imagecycle_state: 'community' }, v4],
      nova: nova([]),
      cinder,
      now,
    });
    expect(ahead.downloads).toEqual([]);
    const behind = await planRun({
      target: 'region-two',
      series: [series],
      previewCheck: preview,
      images: [v3],
      nova: nova([]),
      cinder,
      now,
    });
    expect(behind.target).toBe('region-two');
    expect(behind.downloads).toEqual([
      {
        series: 'debian-12',
        version: '20261201-1',
        buildDate: '2026-12-01',
        inFlight: false,
        replaces: { imageId: 'img-v3', name: 'Debian 12 Bookworm - Latest', version: '20261101-1' },
      },
    ]);
  });

  it('plans the default target when none is named', async () => {
    const plan = await planRun({
      series: [series],
      previewCheck: nothingNew,
      images: [v3],
      nova: nova([]),
      cinder,
      now,
    });
    expect(plan.target).toBe('default');
  });
});
