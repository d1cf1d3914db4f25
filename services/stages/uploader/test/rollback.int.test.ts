// The uploader's own re-check against Glance: a release that is not newer than the series'
// Latest (or a verified image about to become it) is refused before any image is created -
// whatever the job says, and however the feed-watcher judged it when it enqueued the download.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MANAGED_TAG,
  PROPERTY,
  type Release,
  stagingMarker,
  stagingPaths,
} from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import type { Series } from '@imagecycle/series-catalogue';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import { makeQcow2 } from '@imagecycle/test/mirror';
import { upload, type UploadDeps, UploadRejected } from '../src/index.ts';

const service = connect('service');
const seriesId = runPrefix('rollback');
const stagingDir = mkdtempSync(join(tmpdir(), 'rollback-staging-'));
const reconciles: string[] = [];
const ctx = { progress: () => Promise.resolve() };
const VIRTUAL = 64 * 1024 * 1024;
let owner: string;
let deps: UploadDeps;

const series = {
  id: seriesId,
  title: `Rollback OS ${seriesId}`,
  naming: 'default',
  vendor: 'itest',
  properties: { os_distro: 'testos', os_version: '1' },
  minDisk: 1,
  minRam: 128,
  retired: false,
  communityHidden: false,
} as unknown as Series;

const sha = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

/** A release staged as the downloader leaves it: disk image, then marker. */
function staged(version: string) {
  const bytes = makeQcow2({ seed: `${seriesId}-${version}`, virtualSize: VIRTUAL });
  const release: Release = {
    series: seriesId,
    version,
    buildDate: '2026-11-20',
    url: `https://example.test/${version}/disk.qcow2`,
    diskFormat: 'qcow2',
    compression: 'none',
    checksum: { algorithm: 'sha256', value: sha('sha256', bytes) },
    signature: { status: 'not-required' },
    properties: {},
  };
  const paths = stagingPaths(stagingDir, seriesId, version);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.disk, bytes);
  const artifact = {
    path: paths.disk,
    size: bytes.length,
    sha512: sha('sha512', bytes),
    diskFormat: 'qcow2' as const,
    virtualSize: VIRTUAL,
  };
  writeFileSync(paths.marker, JSON.stringify(stagingMarker(release, artifact)));
  return { release, artifact };
}

/** A managed image in `state` (metadata only: the rule reads states and versions). */
async function managed(version: string, state: string): Promise<string> {
  const image = await service.glance.createImage({
    name: `${series.title} - ${version} (${state})`,
    disk_format: 'qcow2',
    os_hidden: true,
    tags: [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: seriesId,
      [PROPERTY.version]: version,
      [PROPERTY.state]: state,
    },
  });
  return image.id;
}

const versionsInGlance = async () =>
  (await listManagedImages(service.glance, { owner, series: seriesId }))
    .map((i) => `${String(i[PROPERTY.version])}/${String(i[PROPERTY.state])}`)
    .sort();

beforeAll(async () => {
  owner = await service.projectId();
  deps = {
    glance: service.glance,
    owner,
    stagingDir,
    findSeries: (id) => (id === seriesId ? series : undefined),
    enqueueReconcile: (s) => Promise.resolve(void reconciles.push(s)),
  };
});

afterAll(async () => {
  for (const image of await listManagedImages(service.glance, { owner, series: seriesId }))
    await service.glance.deleteImage(image.id);
});

describe('the uploader refuses a rollback', () => {
  it('a release older than the Latest creates no image, and says why', async () => {
    await managed('20261120', 'latest');
    const older = staged('20261110');
    const error = await upload(older, ctx, deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UploadRejected);
    expect(error).toMatchObject({ reason: 'rollback' });
    expect((error as Error).message).toBe(
      `series ${seriesId} version 20261110: the feed's newest version 20261110 is not newer than the series' Latest 20261120: a rollback is never published`,
    );
    expect(await versionsInGlance()).toEqual(['20261120/latest']);
    expect(reconciles).toEqual([]);
  });

  it('a verified image about to become the Latest counts too; a community image does not', async () => {
    await managed('20261125', 'verified');
    await managed('20261130', 'community');
    await expect(upload(staged('20261124'), ctx, deps)).rejects.toMatchObject({
      reason: 'rollback',
      message: expect.stringContaining("the series' Latest 20261125") as unknown,
    });
    // newer than the Latest and the verified image: published (a community image of a newer
    // version - an operator's demotion - does not block it)
    const newer = await upload(staged('20261126'), ctx, deps);
    expect(await service.glance.getImage(newer.imageId)).toMatchObject({
      status: 'active',
      [PROPERTY.version]: '20261126',
      [PROPERTY.state]: 'verified',
    });
    expect(reconciles).toEqual([seriesId]);
  });

  it("refused while the download is still staging it (overlapped), the directory stays the downloader's until the refusal is repeated once verified", async () => {
    // the download has written its first bytes and said so; no marker yet
    const { release, artifact } = staged('20261115');
    const paths = stagingPaths(stagingDir, seriesId, '20261115');
    rmSync(paths.marker);
    renameSync(paths.disk, paths.part);
    writeFileSync(
      paths.written,
      JSON.stringify({
        file: 'download.part',
        epoch: 'e'.repeat(32),
        bytes: 4096,
        complete: false,
      }),
    );
    await expect(upload({ release }, ctx, deps)).rejects.toMatchObject({ reason: 'rollback' });
    expect(existsSync(paths.part)).toBe(true); // the downloader goes on writing it
    // verified: the upload enqueued then (naming the artifact) refuses again, and removes it
    staged('20261115');
    await expect(upload({ release, artifact }, ctx, deps)).rejects.toMatchObject({
      reason: 'rollback',
    });
    expect(existsSync(paths.dir)).toBe(false);
    expect(await versionsInGlance()).not.toContain('20261115/candidate');
  });
});
