// The usage pass over simulated days against the real Nova, Cinder and Glance: an image a
// tenant's server runs from and one a volume was made from are kept; an unused one is
// reaped after the grace period; a protected one never; deleting the server and the volume
// starts their grace period.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import type { Series } from '@imagecycle/series-catalogue';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import {
  createVolume,
  deleteVolume,
  listAllServers,
  waitForVolumeGone,
  waitForVolumeStatus,
} from '@imagecycle/test/support/openstack-test-calls';
import { countRequests } from '@imagecycle/test/support/request-count';
import { checkUsage, type UsageDeps } from '../src/index.ts';

const DAY = 24 * 3600 * 1000;
const service = connect('service');
const tenant = connect('tenant');
const seriesId = runPrefix('usage');
const series = {
  id: seriesId,
  title: 'Usage OS',
  retention: { keepLast: 0, minimumAgeDays: 0 },
  gracePeriodDays: 7,
} as unknown as Series;
const images: Record<'server' | 'volume' | 'unused' | 'protected', string> = {
  server: '',
  volume: '',
  unused: '',
  protected: '',
};
let serverId = '';
let volumeId = '';
let reaped: string[] = [];
let clock = Date.parse('2026-12-01T04:00:00Z');
let deps: UsageDeps;

async function communityImage(label: string, protect = false): Promise<string> {
  const image = await service.glance.createImage({
    name: `Usage OS - ${label}`,
    disk_format: 'raw',
    visibility: 'community',
    protected: protect,
    tags: [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: seriesId,
      [PROPERTY.version]: label,
      [PROPERTY.state]: 'community',
    },
  });
  await service.glance.uploadImageData(image.id, Readable.from([randomBytes(1 << 20)]), {
    size: 1 << 20,
  });
  await service.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });
  return image.id;
}

beforeAll(async () => {
  images.server = await communityImage('server');
  images.volume = await communityImage('volume');
  images.unused = await communityImage('unused');
  images.protected = await communityImage('protected', true);
  const server = await tenant.nova.createServer({
    name: `${seriesId}-vm`,
    imageRef: images.server,
    flavorRef: '1',
  });
  serverId = server.id;
  await tenant.nova.waitForServerStatus(serverId, ['ACTIVE'], 90_000);
  const volume = await createVolume(tenant, {
    size: 1,
    name: `${seriesId}-vol`,
    imageRef: images.volume,
  });
  volumeId = volume.id;
  await waitForVolumeStatus(tenant, volumeId, ['available'], 90_000);
  deps = {
    glance: service.glance,
    nova: service.nova,
    cinder: service.cinder,
    owner: await service.projectId(),
    series: [series],
    enqueueReap: (_s, id) => Promise.resolve(void reaped.push(id)),
    now: () => new Date(clock),
    pageSize: 2,
  };
});

afterAll(async () => {
  if (serverId) {
    await tenant.nova.deleteServer(serverId);
    await tenant.nova.waitForServerGone(serverId, 60_000);
  }
  if (volumeId) {
    await deleteVolume(tenant, volumeId);
    await waitForVolumeGone(tenant, volumeId, 60_000);
  }
  await service.glance.patchImage(images.protected, [
    { op: 'replace', path: '/protected', value: false },
  ]);
  for (const id of Object.values(images)) await service.glance.deleteImage(id);
});

const prop = async (id: string, name: string) => (await service.glance.getImage(id))[name];

describe('checkUsage', () => {
  it('day 0: records who uses what, starts the unused clock, reaps nothing', async () => {
    const report = await checkUsage(deps);
    expect(reaped).toEqual([]);
    expect(await prop(images.server, PROPERTY.lastUsedAt)).toBe('2026-12-01T04:00:00.000Z');
    expect(await prop(images.volume, PROPERTY.lastUsedAt)).toBe('2026-12-01T04:00:00.000Z');
    expect(await prop(images.unused, PROPERTY.unusedSince)).toBe('2026-12-01T04:00:00.000Z');
    expect(report.kept.find((k) => k.imageId === images.server)?.because).toContain(
      `server ${serverId}`,
    );
    expect(report.kept.find((k) => k.imageId === images.volume)?.because).toContain(
      `volume ${volumeId}`,
    );
    // what the series' summary event says: two in use, two newly unused (their clock starts),
    // none to the reaper, and the unused and the protected one kept with why
    const [found] = report.bySeries;
    expect(report.bySeries).toHaveLength(1);
    expect(found?.series).toBe(seriesId);
    expect(found?.communityImages).toBe(4);
    expect(found?.inUse.sort()).toEqual([images.server, images.volume].sort());
    expect(found?.newlyUnused.sort()).toEqual([images.unused, images.protected].sort());
    expect(found?.handedToReaper).toEqual([]);
    // every one kept, each with why: the used ones by whom, the others by a hold
    expect(found?.kept.map((k) => k.imageId).sort()).toEqual(Object.values(images).sort());
    expect(found?.kept.find((k) => k.imageId === images.protected)?.because).toBe('protected');
    expect(found?.kept.find((k) => k.imageId === images.server)?.because).toContain(
      `server ${serverId}`,
    );
  });

  it('day 8, but Cinder answers for one project only: nothing is reaped, the image says why', async () => {
    clock += 8 * DAY;
    const withheld: string[] = [];
    const narrowed: UsageDeps = {
      ...deps,
      cinder: tenant.cinder, // not admin: all_tenants is dropped without a word
      onWithheld: (_s, id, because) => Promise.resolve(void withheld.push(`${id}: ${because}`)),
    };
    const report = await checkUsage(narrowed);
    expect(reaped).toEqual([]);
    expect(report.incomplete.join('\n')).toMatch(/no admin role/);
    expect(withheld).toHaveLength(1);
    expect(withheld[0]).toMatch(new RegExp(`^${images.unused}: usage scan incomplete: `));
    expect(await prop(images.unused, PROPERTY.keptBecause)).toBe(
      'usage scan incomplete: kept until a scan can prove it unused',
    );
    // the same doubt on the next pass: no second event
    await checkUsage(narrowed);
    expect(withheld).toHaveLength(1);
  });

  it('day 8: the unused image is reaped; the used ones and the protected one are kept', async () => {
    const report = await checkUsage(deps);
    expect(await prop(images.unused, PROPERTY.keptBecause)).toBeUndefined(); // the doubt's mark is gone
    expect(reaped).toEqual([images.unused]);
    // unused since day 0: not newly unused any more, but handed to the reaper
    expect(report.bySeries[0]?.handedToReaper).toEqual([images.unused]);
    expect(report.bySeries[0]?.newlyUnused).toEqual([]);
    expect(report.kept.find((k) => k.imageId === images.protected)?.because).toBe('protected');
    expect(await prop(images.unused, PROPERTY.unusedSince)).toBe('2026-12-01T04:00:00.000Z');
  });

  it('the server and the volume go: their grace starts; reaped once it has passed', async () => {
    await tenant.nova.deleteServer(serverId);
    await tenant.nova.waitForServerGone(serverId, 60_000);
    serverId = '';
    await deleteVolume(tenant, volumeId);
    await waitForVolumeGone(tenant, volumeId, 60_000);
    volumeId = '';
    reaped = [];
    clock += DAY;
    await checkUsage(deps);
    expect(reaped).toEqual([images.unused]);
    expect(await prop(images.server, PROPERTY.unusedSince)).toBe('2026-12-10T04:00:00.000Z');
    expect(await prop(images.server, PROPERTY.lastUsedAt)).toBe('2026-12-09T04:00:00.000Z');

    reaped = [];
    clock += 8 * DAY;
    await checkUsage(deps);
    expect(reaped.sort()).toEqual([images.server, images.volume, images.unused].sort());
  });

  it('a second pass on the same day sends no PATCH, and the usage lookups do not grow with images', async () => {
    clock += 3600 * 1000; // later the same day: nothing new to record
    // what Nova lists: live servers, and (deleted=true&status=SOFT_DELETED) soft-deleted ones
    // together with servers deleted for good after a soft delete, which the scan drops
    const live = (await listAllServers(service, { allTenants: true })).length;
    const soft = (
      await listAllServers(service, { allTenants: true, deleted: true, status: 'SOFT_DELETED' })
    ).length;
    const requests = countRequests(service);
    const report = await checkUsage(deps);
    requests.stop();
    expect(report.patched).toBe(0);
    expect(requests.of({ service: 'image', method: 'PATCH' })).toBe(0);
    const novaCalls = requests.of({ service: 'compute' });
    const cinderCalls = requests.of({ service: 'block-storage' });
    // pages of 2: calls follow servers (live, then soft-deleted) and volumes of the whole
    // cloud, not the 4 images
    expect(report.servers).toBe(live + report.softDeleted);
    expect(novaCalls).toBe(Math.floor(live / 2) + 1 + Math.floor(soft / 2) + 1);
    // and one probe that proves the listing is not narrowed to one project
    expect(cinderCalls).toBe(Math.floor(report.volumes / 2) + 1 + 1);
  });
});
