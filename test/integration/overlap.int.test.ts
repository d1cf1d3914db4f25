// The overlapped publish against the local mirror and the real Glance: the upload starts as
// soon as the downloader has written the disk image's first bytes, follows the file, and the
// candidate becomes verified only after the downloader's marker. The mirror trickles the
// image, so the two stages really run at once.
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPERTY, type Release, stagingMarker, stagingPaths } from '@imagecycle/contracts';
import { download, DownloadRejected, readWritten, WrittenFact } from '@imagecycle/downloader';
import { listManagedImages } from '@imagecycle/inventory';
import { imageProperty } from '@imagecycle/openstack';
import type { Catalogue, Series } from '@imagecycle/series-catalogue';
import {
  FollowAbandoned,
  StagingDamaged,
  upload,
  UploadRejected,
  type UploadDeps,
} from '@imagecycle/uploader';
import {
  DocumentFetcher,
  loadSeriesTrust,
  MemoryDocumentCache,
  readNewestRelease,
} from '@imagecycle/feed-watcher';
import { type Mirror, startMirror } from '../mirror/index.ts';
import { connect, runPrefix } from '../support/clouds.ts';
import { loadMirrorCatalogue } from '../support/mirror-catalogue.ts';
import { until } from '../support/until.ts';

const service = connect('service');
const seriesId = runPrefix('overlap');
let mirror: Mirror;
let catalogue: Catalogue;
let owner: string;
let upstream: Release;
const stagingDir = mkdtempSync(join(tmpdir(), 'overlap-staging-'));
const noProgress = { progress: () => Promise.resolve() };

const series = {
  id: seriesId,
  title: `Test OS ${seriesId}`,
  latestName: `Test OS ${seriesId} - Latest`,
  properties: { os_distro: 'ubuntu', os_version: '24.04' },
  minDisk: 1,
  minRam: 128,
  retired: false,
  communityHidden: false,
  overlap: true,
} as unknown as Series;

beforeAll(async () => {
  owner = await service.projectId();
  mirror = await startMirror({ seed: '2026-11-01' });
  catalogue = await loadMirrorCatalogue(mirror);
  const ubuntu = catalogue.series.find((s) => s.id === 'ubuntu-24.04');
  if (!ubuntu) throw new Error('the mirror catalogue has no ubuntu-24.04');
  const release = await readNewestRelease({
    series: ubuntu,
    fetcher: new DocumentFetcher({ cache: new MemoryDocumentCache() }),
    trust: await loadSeriesTrust(ubuntu),
  });
  if (!release || release.compression !== 'none') throw new Error('no uncompressed release');
  upstream = release;
});

afterAll(async () => {
  for (const image of await listManagedImages(service.glance, { owner, series: seriesId }))
    await service.glance.deleteImage(image.id);
  await mirror.stop();
});

/** The mirror's release as a release of this test's series, under its own version. */
const releaseAs = (version: string, extra: Partial<Release> = {}): Release => ({
  ...upstream,
  series: seriesId,
  version,
  ...extra,
});

/** Glance's managed images of this test's series and `version`. */
const imagesOf = (version: string) =>
  listManagedImages(service.glance, { owner, series: seriesId, version });

/** The downloader's end, played: the rest of the bytes, the file complete and renamed. */
async function stageTheRest(
  paths: ReturnType<typeof stagingPaths>,
  fact: WrittenFact,
  bytes: Buffer,
  from: number,
): Promise<void> {
  appendFileSync(paths.part, bytes.subarray(from));
  await fact.complete(paths.part, bytes.length);
  renameSync(paths.part, paths.disk);
  await fact.renamed(paths.disk);
  await fact.stop();
}

const uploadDeps = (signal?: AbortSignal): UploadDeps => ({
  glance: service.glance,
  owner,
  stagingDir,
  findSeries: (id) => (id === seriesId ? series : undefined),
  enqueueReconcile: () => Promise.resolve(),
  followPollMs: 20,
  ...(signal ? { signal } : {}),
});

/**
 * Glance's images of `version`, read every 50 ms until stopped; beside each reading, whether
 * the staging marker existed before the listing was asked for.
 */
function watchGlance(version: string) {
  const paths = stagingPaths(stagingDir, seriesId, version);
  const seen: {
    id: string;
    status: string;
    state?: string;
    visibility: string;
    hidden: boolean;
    marked: boolean;
  }[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const marked = existsSync(paths.marker);
      for (const image of await listManagedImages(service.glance, {
        owner,
        series: seriesId,
        version,
      }))
        seen.push({
          id: image.id,
          status: image.status,
          state: imageProperty(image, PROPERTY.state),
          visibility: image.visibility,
          hidden: image.os_hidden === true,
          marked,
        });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await done;
      return seen;
    },
  };
}

/** The mirror sends the image slowly: 8 KiB every 40 ms (the 384 KiB image in about 2 s). */
const slowly = (release: Release) =>
  mirror.faults.trickle(new URL(release.url).pathname, { chunkBytes: 8 * 1024, intervalMs: 40 });

/** Download with overlap on; the upload starts when the downloader says the file is staged. */
function overlapped(release: Release, options: { downloadSignal?: AbortSignal } = {}) {
  let started: Promise<unknown> | undefined;
  let downloadDone = false;
  let uploadStartedWhileDownloading = false;
  /** The upload's progress reports, in bytes sent. */
  const sent: number[] = [];
  const uploadProgress = {
    progress: (value: Record<string, number | string>) => {
      if (typeof value.bytes === 'number') sent.push(value.bytes);
      return Promise.resolve();
    },
  };
  const downloading = download(
    { release },
    { ...noProgress, ...(options.downloadSignal ? { signal: options.downloadSignal } : {}) },
    {
      stagingDir,
      trustFor: () => Promise.resolve(undefined),
      fetchAttempts: 4,
      overlap: true,
      onStaged: () => {
        uploadStartedWhileDownloading = !downloadDone;
        started = upload({ release }, uploadProgress, uploadDeps());
      },
    },
  ).finally(() => (downloadDone = true));
  return {
    downloading,
    sent,
    uploading: async () => {
      await downloading.catch(() => undefined);
      return started;
    },
    overlappedStart: () => uploadStartedWhileDownloading,
  };
}

describe('overlapped publish', () => {
  it('uploads while downloading; the candidate stays hidden, private and unverified until the marker', async () => {
    const release = releaseAs(`${upstream.version}.ov1`);
    const fault = slowly(release);
    const watch = watchGlance(release.version);
    const run = overlapped(release);
    const artifact = await run.downloading;
    const result = (await run.uploading()) as { imageId: string };
    const seen = await watch.stop();
    fault.remove();
    expect(run.overlappedStart()).toBe(true);
    // the candidate existed, and was being filled, before the download was verified
    expect(seen.some((s) => !s.marked && ['queued', 'saving'].includes(s.status))).toBe(true);
    for (const s of seen) {
      if (!s.marked)
        expect(s).toMatchObject({ state: 'candidate', visibility: 'private', hidden: true });
    }
    const images = await imagesOf(release.version);
    expect(images.map((i) => i.id)).toEqual([result.imageId]);
    expect(new Set(seen.map((s) => s.id))).toEqual(new Set([result.imageId]));
    const image = images[0];
    expect(imageProperty(image!, PROPERTY.state)).toBe('verified');
    const bytes = readFileSync(
      join(mirror.root, decodeURIComponent(new URL(release.url).pathname)),
    );
    expect(image?.os_hash_value).toBe(createHash('sha512').update(bytes).digest('hex'));
    expect(image?.size).toBe(artifact.size);
    expect(image?.min_disk).toBe(Math.max(1, Math.ceil(artifact.virtualSize / 1024 ** 3)));
    // the size was unknown while following: the last report is still the whole file
    expect(run.sent.at(-1)).toBe(artifact.size);
    // published: staging is gone
    expect(existsSync(stagingPaths(stagingDir, seriesId, release.version).dir)).toBe(false);
  });

  it('a rejected download (checksum) makes the upload abort and delete its candidate', async () => {
    const good = releaseAs(`${upstream.version}.ov2`);
    const release: Release = {
      ...good,
      checksum: {
        ...good.checksum,
        value: good.checksum.value.replace(/^./, (c) => (c === '0' ? '1' : '0')),
      },
    };
    const fault = slowly(release);
    const watch = watchGlance(release.version);
    const run = overlapped(release);
    const rejected = await run.downloading.catch((e: unknown) => e);
    const uploaded = await run.uploading().catch((e: unknown) => e);
    const seen = await watch.stop();
    fault.remove();
    expect(rejected).toBeInstanceOf(DownloadRejected);
    expect((rejected as DownloadRejected).reason).toBe('checksum-mismatch');
    expect(uploaded).toBeInstanceOf(FollowAbandoned);
    // a candidate had been made and filled, and nothing of it is left
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.state === 'candidate' && s.status !== 'active')).toBe(true);
    expect(await imagesOf(release.version)).toEqual([]);
  });

  it('a cut download (the job cancelled halfway) resumes, and the same upload goes on to publish once', async () => {
    const release = releaseAs(`${upstream.version}.ov3`);
    const fault = slowly(release);
    const watch = watchGlance(release.version);
    const cancel = new AbortController();
    const run = overlapped(release, { downloadSignal: cancel.signal });
    const paths = stagingPaths(stagingDir, seriesId, release.version);
    // cancel once the upload has a candidate and bytes are on the disk
    for (let i = 0; i < 400 && watch.seen.length === 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 25));
    cancel.abort(new Error('worker lost'));
    expect(await run.downloading.catch((e: unknown) => e)).toEqual(new Error('worker lost'));
    expect(existsSync(paths.part)).toBe(true);
    // another worker takes the download over: it resumes the part file
    const artifact = await download({ release }, noProgress, {
      stagingDir,
      trustFor: () => Promise.resolve(undefined),
      overlap: true,
    });
    const result = (await run.uploading()) as { imageId: string };
    const seen = await watch.stop();
    fault.remove();
    const images = await imagesOf(release.version);
    expect(images.map((i) => [i.id, imageProperty(i, PROPERTY.state)])).toEqual([
      [result.imageId, 'verified'],
    ]);
    // one candidate all along: the upload was not started again
    expect(new Set(seen.map((s) => s.id))).toEqual(new Set([result.imageId]));
    expect(images[0]?.size).toBe(artifact.size);
  });

  it('an upload killed halfway (its candidate left saving) is taken over by another attempt that publishes once', async () => {
    const release = releaseAs(`${upstream.version}.ov4`);
    const fault = slowly(release);
    const watch = watchGlance(release.version);
    const cancel = new AbortController();
    // a worker killed mid-upload cleans nothing up: its candidate stays behind in Glance
    const killed: UploadDeps = {
      ...uploadDeps(cancel.signal),
      glance: new Proxy(service.glance, {
        get(target, key) {
          if (key === 'deleteImage') return () => Promise.resolve();
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      }),
    };
    let first: Promise<unknown> | undefined;
    const downloading = download({ release }, noProgress, {
      stagingDir,
      trustFor: () => Promise.resolve(undefined),
      overlap: true,
      onStaged: () => {
        first = upload({ release }, noProgress, killed);
      },
    });
    for (let i = 0; i < 400 && !watch.seen.some((s) => s.status === 'saving'); i += 1)
      await new Promise((resolve) => setTimeout(resolve, 25));
    cancel.abort(new Error('worker lost'));
    expect(await first?.catch((e: unknown) => e)).toEqual(new Error('worker lost'));
    const left = await imagesOf(release.version);
    expect(left.map((i) => imageProperty(i, PROPERTY.state))).toEqual(['candidate']);
    expect(left[0]?.status).not.toBe('active');
    // the job's next attempt, on another worker, while the download still runs
    const second = upload({ release }, noProgress, uploadDeps());
    await downloading;
    const result = await second;
    const seen = await watch.stop();
    fault.remove();
    const images = await imagesOf(release.version);
    expect(images.map((i) => [i.id, imageProperty(i, PROPERTY.state)])).toEqual([
      [result.imageId, 'verified'],
    ]);
    expect(result.imageId).not.toBe(left[0]?.id);
    expect(new Set(seen.map((s) => s.id)).size).toBe(2);
  });

  it('an upload that has sent the whole file waits for the marker: Glance active, still an unverified hidden candidate', async () => {
    // the downloader's side played with its own WrittenFact, so the marker can be held back
    const release = releaseAs(`${upstream.version}.ov5`);
    const bytes = readFileSync(
      join(mirror.root, decodeURIComponent(new URL(release.url).pathname)),
    );
    const paths = stagingPaths(stagingDir, seriesId, release.version);
    mkdirSync(paths.dir, { recursive: true });
    const fact = new WrittenFact(paths);
    await fact.follow(paths.part, true);
    writeFileSync(paths.part, bytes.subarray(0, 100_000));
    await until(async () => ((await readWritten(paths))?.bytes ?? 0) > 0, {
      what: 'the first bytes to be published',
    });
    let settled = false;
    const uploading = upload({ release }, noProgress, uploadDeps()).finally(() => (settled = true));
    await stageTheRest(paths, fact, bytes, 100_000);
    const active = await until(
      async () => (await imagesOf(release.version)).find((i) => i.status === 'active'),
      { what: 'the candidate to become active' },
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const held = await service.glance.findImage(active.id);
    expect(settled).toBe(false);
    expect(held).toMatchObject({ status: 'active', visibility: 'private', os_hidden: true });
    expect(imageProperty(held!, PROPERTY.state)).toBe('candidate');
    // the downloader verifies: the marker
    const artifact = {
      path: paths.disk,
      size: bytes.length,
      upstreamChecksum: release.checksum,
      diskFormat: 'qcow2' as const,
      virtualSize: 64 * 1024 * 1024,
    };
    writeFileSync(paths.marker, JSON.stringify(stagingMarker(release, artifact)));
    const result = await uploading;
    expect(result.imageId).toBe(active.id);
    const image = await service.glance.findImage(active.id);
    expect(imageProperty(image!, PROPERTY.state)).toBe('verified');
    expect(image?.os_hash_value).toBe(createHash('sha512').update(bytes).digest('hex'));
  });

  describe('sending without hashing (the downloader took the SHA-512: one target that overlaps, or several)', () => {
    /**
     * Plays the downloader with its own WrittenFact: the first 100,000 bytes staged as
     * `first`, the upload (hashWhileSending false) started and seen saving in Glance, then
     * those bytes made `then`, the rest appended and the marker written with the true SHA-512.
     */
    async function followWithFirstBytes(
      version: string,
      corrupt: { first: boolean; then: boolean },
    ): Promise<{ outcome: unknown; bytes: Buffer; release: Release }> {
      const release = releaseAs(`${upstream.version}.${version}`);
      const bytes = readFileSync(
        join(mirror.root, decodeURIComponent(new URL(release.url).pathname)),
      );
      const flipped = Buffer.from(bytes.subarray(0, 100_000));
      flipped[5_000] = (flipped[5_000] ?? 0) ^ 0xff;
      const head = (wrong: boolean) => (wrong ? flipped : bytes.subarray(0, 100_000));
      const paths = stagingPaths(stagingDir, seriesId, release.version);
      mkdirSync(paths.dir, { recursive: true });
      const fact = new WrittenFact(paths);
      await fact.follow(paths.part, true);
      writeFileSync(paths.part, head(corrupt.first));
      await until(async () => ((await readWritten(paths))?.bytes ?? 0) > 0, {
        what: 'the first bytes to be published',
      });
      const uploading = upload({ release }, noProgress, {
        ...uploadDeps(),
        hashWhileSending: false,
      }).catch((e: unknown) => e);
      await until(
        async () => (await imagesOf(release.version)).some((i) => i.status === 'saving'),
        { what: 'the candidate to be saving' },
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      // the first bytes have been read and sent; now they become what the download verified
      writeFileSync(paths.part, head(corrupt.then));
      await stageTheRest(paths, fact, bytes, 100_000);
      const artifact = {
        path: paths.disk,
        size: bytes.length,
        upstreamChecksum: release.checksum,
        sha512: createHash('sha512').update(bytes).digest('hex'),
        diskFormat: 'qcow2' as const,
        virtualSize: 64 * 1024 * 1024,
      };
      writeFileSync(paths.marker, JSON.stringify(stagingMarker(release, artifact)));
      return { outcome: await uploading, bytes, release };
    }

    it('bytes sent wrong while following, the staged file then the verified one: the candidate is deleted and the next attempt publishes the file, nothing rejected', async () => {
      const { outcome, bytes, release } = await followWithFirstBytes('ov6', {
        first: true,
        then: false,
      });
      expect(outcome).toBeInstanceOf(Error);
      expect(outcome).not.toBeInstanceOf(UploadRejected);
      expect(outcome).not.toBeInstanceOf(StagingDamaged);
      expect(String(outcome)).toMatch(/sent while following the download.*next attempt/);
      expect(await imagesOf(release.version)).toEqual([]);
      // the staged copy is kept: the job's retry sends the verified file, whole
      const paths = stagingPaths(stagingDir, seriesId, release.version);
      expect(existsSync(paths.marker)).toBe(true);
      const result = await upload({ release }, noProgress, {
        ...uploadDeps(),
        hashWhileSending: false,
      });
      const images = await imagesOf(release.version);
      expect(images.map((i) => [i.id, imageProperty(i, PROPERTY.state)])).toEqual([
        [result.imageId, 'verified'],
      ]);
      expect(images[0]?.os_hash_value).toBe(createHash('sha512').update(bytes).digest('hex'));
    });

    it('a staged file that differs from what the download verified: damaged staging (downloaded again), not a rejection', async () => {
      const { outcome, release } = await followWithFirstBytes('ov7', { first: true, then: true });
      expect(outcome).toBeInstanceOf(StagingDamaged);
      expect(await imagesOf(release.version)).toEqual([]);
    });
  });
});
