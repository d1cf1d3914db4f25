// The janitor against the real Glance: on a healthy series it writes and enqueues nothing;
// a series whose names differ from the desired state gets a reconcile, a dead candidate is
// deleted (never a promoted image), a stranded `retiring` image has its reap resumed, a
// tenant's look-alike image is never touched, and a catalogue property change reaches the
// images already published (through the renamer's reconcile) and then nothing is written.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import type { OpenStackClient } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import { countRequests } from '@imagecycle/test/support/request-count';
import { reconcile } from '@imagecycle/renamer';
import { type JanitorDeps, tidy } from '../src/index.ts';

const service = connect('service');
const tenant = connect('tenant');
const seriesId = runPrefix('janitor');
let title = `Janitor OS ${seriesId}`;
/** The series' catalogue properties (a test changes them as an operator would). */
let catalogue: Record<string, string> = { os_purpose: 'generic', os_require_quiesce: 'True' };
const series = () =>
  ({
    id: seriesId,
    title,
    retired: false,
    communityHidden: false,
    properties: catalogue,
    retention: { keepLast: 0, minimumAgeDays: 0 },
    gracePeriodDays: 0,
  }) as unknown as Series;
const made: { client: OpenStackClient; id: string }[] = [];
const DAY = 24 * 3600 * 1000;
let now = new Date();
let reconciles: string[] = [];
let reaps: string[] = [];
let deps: JanitorDeps;

async function image(
  name: string,
  state: string,
  version: string,
  options: {
    client?: OpenStackClient;
    upload?: boolean;
    visibility?: 'private' | 'public' | 'community';
  } = {},
) {
  const client = options.client ?? service;
  const created = await client.glance.createImage({
    name,
    disk_format: 'raw',
    visibility: options.visibility ?? 'private',
    os_hidden: state === 'candidate',
    tags: [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: seriesId,
      [PROPERTY.version]: version,
      [PROPERTY.state]: state,
      [PROPERTY.upstreamChecksum]: `sha256:${'0'.repeat(64)}`,
      // as the uploader makes it: the catalogue's properties and their list, and one the
      // feed gave (a build manifest's), which is not the catalogue's
      ...catalogue,
      [PROPERTY.catalogueKeys]: Object.keys(catalogue).sort().join(','),
      os_edition: 'server',
    },
  });
  made.push({ client, id: created.id });
  if (options.upload !== false) {
    await client.glance.uploadImageData(created.id, Readable.from([randomBytes(1 << 12)]), {
      size: 1 << 12,
    });
    await client.glance.waitForImageStatus(created.id, ['active'], { timeoutMs: 60_000 });
  }
  return client.glance.getImage(created.id);
}

beforeAll(async () => {
  deps = {
    glance: service.glance,
    owner: await service.projectId(),
    series: [series()],
    now: () => now,
    enqueueReconcile: (id) => Promise.resolve(reconciles.push(id)),
    resumeReap: (_series, imageId) => Promise.resolve(reaps.push(imageId)),
  };
});
afterAll(async () => {
  for (const { client, id } of made) {
    const left = await client.glance.findImage(id);
    if (left?.status === 'deactivated') await client.glance.reactivateImage(id);
    if (left) await client.glance.deleteImage(id);
  }
});

const run = () => {
  reconciles = [];
  reaps = [];
  deps.series = [series()];
  return tidy({}, deps);
};

describe('the janitor', () => {
  it('on a healthy series: one listing, no write, nothing enqueued', async () => {
    const latest = await image(`${title} - Latest`, 'latest', '2', { visibility: 'public' });
    await service.glance.applyImage(latest, {
      visibility: 'public',
      os_hidden: false,
      properties: { [PROPERTY.state]: 'latest' },
    });
    const requests = countRequests(service);
    const report = await run();
    requests.stop();
    expect(report).toMatchObject({ reconciled: [], removedCandidates: [], resumedReaps: [] });
    // what the series has published, for the feed-watcher's record
    expect(report.published).toEqual([{ series: seriesId, latest: '2', versions: ['2'] }]);
    expect(reconciles).toEqual([]);
    expect(requests.seen.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(requests.of({ method: 'GET' })).toBeGreaterThan(0);
  });

  it('a renamed series (a catalogue change) gets a reconcile; the janitor renames nothing itself', async () => {
    title = `Janitor OS renamed ${seriesId}`;
    const requests = countRequests(service);
    const report = await run();
    requests.stop();
    expect(report.reconciled).toEqual([{ series: seriesId, images: 1 }]);
    expect(reconciles).toEqual([seriesId]);
    expect(requests.seen.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('deletes a candidate older than any upload, keeps a young one, never a tenant look-alike', async () => {
    const dead = await image(`${title} - 3 (candidate)`, 'candidate', '3', { upload: false });
    const young = await image(`${title} - 4 (candidate)`, 'candidate', '4', { upload: false });
    const foreign = await image(`${title} - 5 (candidate)`, 'candidate', '5', {
      client: tenant,
      upload: false,
    });
    expect(dead.status).toBe('queued');
    // the clock moves past the dead candidate's age only: the young one was made "now"
    now = new Date(Date.parse(young.created_at) + 0.5 * DAY);
    let report = await run();
    expect(report.removedCandidates).toEqual([]);
    now = new Date(Date.parse(dead.created_at) + 2 * DAY);
    deps.deadCandidateAfterMs = 1.5 * DAY;
    report = await run();
    expect(report.removedCandidates.map((c) => c.imageId)).toEqual(
      expect.arrayContaining([dead.id, young.id]),
    );
    expect(await service.glance.findImage(dead.id)).toBeUndefined();
    expect((await tenant.glance.getImage(foreign.id)).status).toBe('queued');
    // the removed candidates' versions are not published any more: the next feed check may
    // fetch them again; the tenant's look-alike never counts
    expect(report.published).toEqual([{ series: seriesId, latest: '2', versions: ['2'] }]);
    delete deps.deadCandidateAfterMs;
    now = new Date();
  });

  it('resumes the reap of an image left retiring and deactivated', async () => {
    const stranded = await image(`${title} - 2026-01-01`, 'retiring', '1');
    await service.glance.deactivateImage(stranded.id);
    const requests = countRequests(service);
    const report = await run();
    requests.stop();
    expect(report.resumedReaps).toEqual([{ series: seriesId, imageId: stranded.id }]);
    expect(reaps).toEqual([stranded.id]);
    // the janitor hands it over; the reaper (not the janitor) decides and writes
    expect(requests.seen.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await service.glance.getImage(stranded.id)).status).toBe('deactivated');
  });

  it('a catalogue property change reaches every published image - set, changed, removed - and leaves what the catalogue did not give', async () => {
    const community = await image(`${title} - 2026-01-02`, 'community', '1', {
      visibility: 'community',
    });
    const reconciler = {
      glance: service.glance,
      owner: deps.owner,
      findSeries: (id: string) => (id === seriesId ? series() : undefined),
    };
    // converge the earlier tests' rename first: from here on the series is healthy
    await reconcile({ series: seriesId }, reconciler);
    expect((await run()).reconciled).toEqual([]);

    // the operator changes os_purpose, adds hw_disk_bus and drops os_require_quiesce
    catalogue = { os_purpose: 'minimal', hw_disk_bus: 'scsi' };
    let requests = countRequests(service);
    const report = await run();
    requests.stop();
    expect(report.reconciled).toEqual([{ series: seriesId, images: 2 }]);
    expect(reconciles).toEqual([seriesId]);
    expect(requests.seen.filter((r) => r.method !== 'GET')).toEqual([]); // the renamer writes
    const result = await reconcile({ series: seriesId }, reconciler);
    expect(result.patches).toBe(2);

    const latest = (
      await service.glance.listAllImages({ name: `${title} - Latest`, visibility: 'all' })
    ).filter((i) => i.owner === deps.owner);
    expect(latest).toHaveLength(1);
    for (const id of [latest[0]?.id as string, community.id]) {
      const read = await service.glance.getImage(id);
      expect(read).toMatchObject({
        os_purpose: 'minimal',
        hw_disk_bus: 'scsi',
        [PROPERTY.catalogueKeys]: 'hw_disk_bus,os_purpose',
        // never the catalogue's to remove: the feed's property, the checksum, the state
        os_edition: 'server',
        [PROPERTY.upstreamChecksum]: `sha256:${'0'.repeat(64)}`,
        [PROPERTY.series]: seriesId,
      });
      expect(read).not.toHaveProperty('os_require_quiesce');
    }

    // converged: the janitor reads and writes nothing, the reconcile sends nothing
    requests = countRequests(service);
    const again = await run();
    requests.stop();
    expect(again.reconciled).toEqual([]);
    expect(reconciles).toEqual([]);
    expect(requests.seen.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await reconcile({ series: seriesId }, reconciler)).patches).toBe(0);

    // a catalogue without properties: every catalogue property goes, the empty list stays
    catalogue = {};
    expect((await run()).reconciled).toEqual([{ series: seriesId, images: 2 }]);
    await reconcile({ series: seriesId }, reconciler);
    const emptied = await service.glance.getImage(community.id);
    expect(emptied).not.toHaveProperty('os_purpose');
    expect(emptied).not.toHaveProperty('hw_disk_bus');
    expect(emptied).toMatchObject({ [PROPERTY.catalogueKeys]: '', os_edition: 'server' });
    expect((await run()).reconciled).toEqual([]);
  });
});
