// The downloader's handler against the local upstream mirror over HTTP, the upstream
// publishing crafted bad images with genuine checksums: each is refused as
// `not-a-disk-image` naming the file and what is wrong, and nothing of it stays in staging
// (no verified marker the uploader could trust).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Release } from '@imagecycle/contracts';
import { loadSeriesTrust } from '@imagecycle/feed-watcher';
import type { Catalogue, Series } from '@imagecycle/series-catalogue';
import { type CraftedDisk, type Mirror, startMirror } from '@imagecycle/test/mirror';
import { loadMirrorCatalogue } from '@imagecycle/test/support/mirror-catalogue';
import { download, type DownloadDeps, DownloadRejected, stagingPaths } from '../src/index.ts';
import { newestRelease, seriesIn } from './mirror-releases.ts';

let mirror: Mirror;
let catalogue: Catalogue;
const ctx = { progress: () => Promise.resolve() };
let stagingDir: string;
const deps = (): DownloadDeps => ({
  stagingDir,
  trustFor: (id) => loadSeriesTrust(seriesOf(id)),
  fetchAttempts: 2,
});

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  catalogue = await loadMirrorCatalogue(mirror);
}, 60_000);
afterAll(() => mirror.stop());

const seriesOf = (id: string): Series => seriesIn(catalogue, id);

/** The release as the real feed-watcher reads it from the mirror. */
const releaseOf = (seriesId: string): Promise<Release> => newestRelease(catalogue, seriesId);

/** The rejection of downloading `release`, after checking it left nothing in staging. */
async function rejection(release: Release): Promise<DownloadRejected> {
  stagingDir = mkdtempSync(join(tmpdir(), 'staging-'));
  const error = await download({ release }, ctx, deps()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the download was not refused').toBeInstanceOf(DownloadRejected);
  const rejected = error as DownloadRejected;
  expect(rejected.reason).toBe('not-a-disk-image');
  expect(rejected.message).toContain(`series ${release.series} version ${release.version}: `);
  expect(rejected.message).toContain(release.url);
  const paths = stagingPaths(stagingDir, release.series, release.version);
  expect(existsSync(paths.marker)).toBe(false);
  expect(existsSync(paths.dir)).toBe(false);
  expect(readdirSync(stagingDir).flatMap((d) => readdirSync(join(stagingDir, d)))).toEqual([]);
  return rejected;
}

describe('download refuses what Glance would refuse', () => {
  it.each<[CraftedDisk, RegExp]>([
    ['qcow2-backing-file', /a qcow2 image Glance would refuse: it has a backing file "\/var\/lib/],
    ['qcow2-data-file', /it has an external data file "\/etc\/shadow"/],
    [
      'vmdk-monolithic-flat',
      /the feed says qcow2, the bytes are a vmdk image; also, its createType is "monolithicFlat"/,
    ],
    ['vmdk-two-gb-max-extent-sparse', /its createType is "twoGbMaxExtentSparse"/],
    ['sound-raw', /the feed says qcow2, the bytes are a raw disk/],
    ['garbage', /the feed says qcow2, the bytes are no disk image format Glance knows/],
  ])('ubuntu publishing %s', async (kind, message) => {
    await mirror.publish('ubuntu-24.04', { disk: kind });
    const release = await releaseOf('ubuntu-24.04');
    expect(release.diskFormat).toBe('qcow2');
    expect(mirror.latest('ubuntu-24.04')?.image.crafted).toBe(kind);
    expect((await rejection(release)).message).toMatch(message);
  });

  it('a qcow2 in a file declared raw (Debian .raw)', async () => {
    const published = await mirror.publish('debian-12', { disk: 'sound-qcow2' });
    const raw = published.artifacts.find((a) => a.name.endsWith(`${published.version}.raw`));
    if (!raw) throw new Error('no .raw artifact');
    const release: Release = {
      ...(await releaseOf('debian-12')),
      url: raw.url,
      diskFormat: 'raw',
      checksum: { algorithm: 'sha512', value: raw.sha512 },
    };
    expect((await rejection(release)).message).toMatch(
      /the feed says raw, the bytes are a qcow2 image$/,
    );
  });

  it('inside a compressed file: Fedora CoreOS .qcow2.xz with a backing file, refused after decompression', async () => {
    await mirror.publish('fedora-coreos-stable', { disk: 'qcow2-backing-file' });
    const release = await releaseOf('fedora-coreos-stable');
    expect(release.compression).toBe('xz');
    expect((await rejection(release)).message).toMatch(
      /\.qcow2\.xz \(decompressed from xz\): a qcow2 image Glance would refuse: it has a backing file/,
    );
  });

  it('and accepts the sound images of the same upstreams, raw included', async () => {
    stagingDir = mkdtempSync(join(tmpdir(), 'staging-'));
    await mirror.publish('ubuntu-24.04');
    const artifact = await download({ release: await releaseOf('ubuntu-24.04') }, ctx, deps());
    expect(artifact).toMatchObject({ diskFormat: 'qcow2', virtualSize: 64 * 1024 * 1024 });
    const published = await mirror.publish('debian-12');
    const raw = published.artifacts.find((a) => a.name.endsWith(`${published.version}.raw`));
    if (!raw) throw new Error('no .raw artifact');
    const release: Release = {
      ...(await releaseOf('debian-12')),
      url: raw.url,
      diskFormat: 'raw',
      checksum: { algorithm: 'sha512', value: raw.sha512 },
    };
    expect(await download({ release }, ctx, deps())).toMatchObject({
      diskFormat: 'raw',
      virtualSize: raw.size,
    });
  });

  it('a series published as raw: the qcow2 release becomes the raw disk qemu-img convert makes', async () => {
    stagingDir = mkdtempSync(join(tmpdir(), 'staging-'));
    const published = await mirror.publish('ubuntu-24.04');
    const release = await releaseOf('ubuntu-24.04');
    const artifact = await download({ release }, ctx, {
      ...deps(),
      publishAs: (id) => (id === 'ubuntu-24.04' ? 'raw' : undefined),
    });
    const qcow2 = join(stagingDir, 'published.qcow2');
    writeFileSync(qcow2, Buffer.from(await (await fetch(published.image.url)).arrayBuffer()));
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, `${qcow2}.raw`]);
    const expected = readFileSync(`${qcow2}.raw`);
    expect(artifact).toEqual({
      path: stagingPaths(stagingDir, release.series, release.version).disk,
      size: 64 * 1024 * 1024,
      sha512: createHash('sha512').update(expected).digest('hex'),
      diskFormat: 'raw',
      virtualSize: 64 * 1024 * 1024,
    });
    expect(readFileSync(artifact.path).equals(expected)).toBe(true);
    // the marker records the raw disk: a rerun returns it as it is
    expect(await download({ release }, ctx, deps())).toEqual(artifact);
  });
});
