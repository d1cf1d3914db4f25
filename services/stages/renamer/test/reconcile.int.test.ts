// The renamer against the real Glance: one Latest, dated community images, only the
// difference applied, a crash between promote and demote healed, tenants untouched.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import type { OpenStackClient } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import { countRequests } from '@imagecycle/test/support/request-count';
import { reconcile, type ReconcileDeps } from '../src/index.ts';

const service = connect('service');
const tenant = connect('tenant');
const seriesId = runPrefix('rename');
const title = `Rename OS ${seriesId}`;
let retired = false;
const series = () =>
  ({
    id: seriesId,
    title,
    retired,
    communityHidden: false,
    properties: { os_purpose: 'generic' },
  }) as unknown as Series;
const made: { client: OpenStackClient; id: string }[] = [];
let deps: ReconcileDeps;

/** An active managed image; `verified` is how the uploader leaves one that passed every check. */
async function managedImage(
  version: string,
  { state = 'verified', client = service }: { state?: string; client?: OpenStackClient } = {},
) {
  const image = await client.glance.createImage({
    name: `${title} - ${version} (candidate)`,
    disk_format: 'raw',
    visibility: 'private',
    os_hidden: true,
    tags: [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: seriesId,
      [PROPERTY.version]: version,
      [PROPERTY.state]: state,
    },
  });
  made.push({ client, id: image.id });
  await client.glance.uploadImageData(image.id, Readable.from([randomBytes(1 << 16)]), {
    size: 1 << 16,
  });
  await client.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });
  return image.id;
}

const byLatestName = async () =>
  (await service.glance.listAllImages({ name: `${title} - Latest`, visibility: 'all' })).filter(
    (i) => i.owner === deps.owner,
  );

beforeAll(async () => {
  deps = {
    glance: service.glance,
    owner: await service.projectId(),
    findSeries: (id) => (id === seriesId ? series() : undefined),
  };
});
afterAll(async () => {
  for (const { client, id } of made) await client.glance.deleteImage(id);
});

describe('reconcile', () => {
  it('day 1: the only verified image becomes the public Latest; a second run sends nothing', async () => {
    const first = await managedImage('20261101');
    const result = await reconcile({ series: seriesId }, deps);
    expect(result.patches).toBe(1);
    const latest = await service.glance.getImage(first);
    expect(latest).toMatchObject({
      name: `${title} - Latest`,
      visibility: 'public',
      os_hidden: false,
      [PROPERTY.state]: 'latest',
      os_purpose: 'generic',
    });
    const requests = countRequests(service);
    expect((await reconcile({ series: seriesId }, deps)).patches).toBe(0);
    requests.stop();
    expect(requests.of({ service: 'image' })).toBe(2); // the two listings, no PATCH
    expect(requests.of({ service: 'image', method: 'GET' })).toBe(2);
  });

  it('day 2: a new release is promoted first, the old Latest becomes a dated community image', async () => {
    const old = (await byLatestName())[0]?.id ?? '';
    const fresh = await managedImage('20261120');
    const result = await reconcile({ series: seriesId }, deps);
    expect(result.changes.map((c) => [c.imageId, c.role])).toEqual([
      [fresh, 'latest'],
      [old, 'community'],
    ]);
    // what the series has published, as the feed-watcher's record gets it
    expect(result.published).toEqual({ latest: '20261120', versions: ['20261101', '20261120'] });
    expect((await byLatestName()).map((i) => i.id)).toEqual([fresh]);
    const demoted = await service.glance.getImage(old);
    expect(demoted).toMatchObject({
      name: `${title} - ${demoted.created_at.slice(0, 10)}`,
      visibility: 'community',
      [PROPERTY.state]: 'community',
    });
  });

  it('heals a crash between promotion and demotion: two Latest names become one', async () => {
    const newer = await managedImage('20261125');
    // the promotion alone, as a renamer that died before its second PATCH would leave it
    await service.glance.patchImage(newer, [
      { op: 'replace', path: '/name', value: `${title} - Latest` },
      { op: 'replace', path: '/visibility', value: 'public' },
      { op: 'replace', path: '/os_hidden', value: false },
      { op: 'replace', path: `/${PROPERTY.state}`, value: 'latest' },
    ]);
    expect(await byLatestName()).toHaveLength(2);
    await reconcile({ series: seriesId }, deps);
    expect((await byLatestName()).map((i) => i.id)).toEqual([newer]);
    const community = (
      await listManagedImages(service.glance, { owner: deps.owner, series: seriesId })
    ).filter((i) => i[PROPERTY.state] === 'community');
    expect(community).toHaveLength(2);
    expect(new Set(community.map((i) => i.name)).size).toBe(2); // same-day uploads get distinct names
  });

  it('never promotes an active candidate still in its checks; once the uploader marked it verified it is the Latest', async () => {
    const latest = (await byLatestName()).map((i) => i.id);
    expect(latest).toHaveLength(1);
    const checking = await managedImage('20261130', { state: 'candidate' });
    const result = await reconcile({ series: seriesId }, deps);
    expect(result.changes).toEqual([]);
    expect(await byLatestName().then((images) => images.map((i) => i.id))).toEqual(latest);
    expect(await service.glance.getImage(checking)).toMatchObject({
      visibility: 'private',
      os_hidden: true,
      [PROPERTY.state]: 'candidate',
    });

    await service.glance.patchImage(checking, [
      { op: 'replace', path: `/${PROPERTY.state}`, value: 'verified' },
    ]);
    await reconcile({ series: seriesId }, deps);
    expect(await byLatestName().then((images) => images.map((i) => i.id))).toEqual([checking]);
  });

  it('takes the Latest name from an image an operator deactivated; the next newest is Latest', async () => {
    const [deactivated] = (await byLatestName()).map((i) => i.id);
    expect(deactivated).toBeDefined();
    await service.glance.deactivateImage(deactivated as string);
    const result = await reconcile({ series: seriesId }, deps);
    expect(result.changes.map((c) => c.role).sort()).toEqual(['community', 'latest']);
    const named = await byLatestName();
    expect(named).toHaveLength(1);
    expect(named[0]).toMatchObject({ status: 'active', visibility: 'public' });
    expect(named[0]?.id).not.toBe(deactivated);
    const benched = await service.glance.getImage(deactivated as string);
    expect(benched).toMatchObject({
      status: 'deactivated',
      visibility: 'community',
      [PROPERTY.state]: 'community',
    });
    expect(benched.name).toMatch(/ - \d{4}-\d{2}-\d{2}( #\d+)?$/);
    await service.glance.reactivateImage(deactivated as string);
  });

  it('never touches a tenant image that claims the series, and a retired series keeps no Latest', async () => {
    const foreign = await managedImage('29991231', { client: tenant });
    const before = await tenant.glance.getImage(foreign);
    await reconcile({ series: seriesId }, deps);
    expect(await tenant.glance.getImage(foreign)).toEqual(before);

    retired = true;
    await reconcile({ series: seriesId }, deps);
    expect(await byLatestName()).toEqual([]);
    retired = false;
  });
});
