// The downloader against the local upstream mirror: every compression, the checksum and
// signature checks, resuming a cut download, riding out 503s, and idempotency.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Release } from '@imagecycle/contracts';
import { loadSeriesTrust } from '@imagecycle/feed-watcher';
import type { Catalogue, Series } from '@imagecycle/series-catalogue';
import { type Distro, type Mirror, startMirror } from '@imagecycle/test/mirror';
import { loadMirrorCatalogue } from '@imagecycle/test/support/mirror-catalogue';
import { download, type DownloadDeps, DownloadRejected, stagingPaths } from '../src/index.ts';
import { newestRelease, seriesIn } from './mirror-releases.ts';

let mirror: Mirror;
let catalogue: Catalogue;
const progress: Record<string, number | string>[] = [];
const ctx = {
  progress: (v: Record<string, number | string>) => Promise.resolve(void progress.push(v)),
};
const deps = (): DownloadDeps => ({
  stagingDir: mkdtempSync(join(tmpdir(), 'staging-')),
  trustFor: (id) => loadSeriesTrust(seriesOf(id)),
  fetchAttempts: 4,
});

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  catalogue = await loadMirrorCatalogue(mirror);
});
afterAll(() => mirror.stop());

const seriesOf = (id: string): Series => seriesIn(catalogue, id);

/** The release as the real feed-watcher reads it from the mirror. */
const releaseOf = (seriesId: string): Promise<Release> => newestRelease(catalogue, seriesId);

const uncompressed = (distro: Distro) => {
  const image = mirror.latest(distro)?.image;
  return image?.uncompressed?.sha512 ?? image?.sha512;
};

describe('download', () => {
  it.each([
    ['ubuntu-24.04', 'none'],
    ['fedora-coreos-stable', 'xz'],
    ['flatcar-stable', 'bz2'],
    ['debian-12', 'none'],
  ] as const)(
    '%s (%s): verified, decompressed, sniffed, with progress',
    async (seriesId, compression) => {
      progress.length = 0;
      const release = await releaseOf(seriesId);
      expect(release.compression).toBe(compression);
      const artifact = await download({ release }, ctx, deps());
      const bytes = readFileSync(artifact.path);
      if (compression === 'none') {
        // no extra SHA-512 pass here: the uploader hashes as it sends, against the upstream
        // checksum (an upstream that publishes SHA-512 gives it for free)
        expect(artifact.sha512).toBe(
          release.checksum.algorithm === 'sha512' ? release.checksum.value : undefined,
        );
        expect(artifact.upstreamChecksum).toEqual(release.checksum);
        expect(createHash(release.checksum.algorithm).update(bytes).digest('hex')).toBe(
          release.checksum.value,
        );
      } else {
        expect(artifact.sha512).toBe(createHash('sha512').update(bytes).digest('hex'));
        expect(artifact.sha512).toBe(uncompressed(seriesId));
      }
      expect(artifact).toMatchObject({
        diskFormat: 'qcow2',
        virtualSize: 64 * 1024 * 1024,
        size: bytes.length,
      });
      expect(progress.at(-1)).toMatchObject({ phase: 'verified', percent: 100 });
    },
  );

  it('with several targets, an uncompressed release’s SHA-512 is taken while downloading, once', async () => {
    const release = await releaseOf('ubuntu-24.04');
    expect([release.compression, release.checksum.algorithm]).toEqual(['none', 'sha256']);
    const artifact = await download(
      { release: { ...release, version: `${release.version}.t` } },
      ctx,
      {
        ...deps(),
        sha512: true,
      },
    );
    expect(artifact.sha512).toBe(
      createHash('sha512').update(readFileSync(artifact.path)).digest('hex'),
    );
    expect(artifact.upstreamChecksum).toEqual(release.checksum);
  });

  it('rejects corrupted bytes and leaves nothing in staging', async () => {
    const release = await releaseOf('ubuntu-22.04');
    const fault = mirror.faults.corrupt(release.url);
    const d = deps();
    const error = await download({ release }, ctx, d).catch((e: unknown) => e);
    fault.remove();
    expect(error).toBeInstanceOf(DownloadRejected);
    expect((error as DownloadRejected).reason).toBe('checksum-mismatch');
    expect(existsSync(stagingPaths(d.stagingDir, release.series, release.version).dir)).toBe(false);
  });

  it('resumes a cut download with Range, and rides out 503s', async () => {
    const release = await releaseOf('ubuntu-20.04');
    const cut = mirror.faults.truncate(release.url, { times: 1 });
    const busy = mirror.faults.fail(release.url, { status: 503, times: 1 });
    mirror.requests.reset();
    const recovered: unknown[] = [];
    const artifact = await download({ release }, ctx, {
      ...deps(),
      onRecovered: (what) => Promise.resolve(void recovered.push(what)),
    });
    cut.remove();
    busy.remove();
    // a connection cut during this attempt is no crash to recover from
    expect(recovered).toEqual([]);
    expect(artifact.upstreamChecksum).toEqual(release.checksum);
    expect(createHash('sha512').update(readFileSync(artifact.path)).digest('hex')).toBe(
      uncompressed('ubuntu-20.04'),
    );
    const path = new URL(release.url).pathname;
    expect(mirror.requests.log.some((entry) => entry.path === path && entry.range)).toBe(true);
    // both faults were served: one 503, one cut response
    expect(busy.hits).toBe(1);
    expect(cut.hits).toBe(1);
    expect(mirror.requests.for(path).statuses[503]).toBe(1);
  });

  it('rejects a Fedora CoreOS image whose signature is forged', async () => {
    const release = await releaseOf('fedora-coreos-stable');
    expect(release.signature.status).toBe('verify-on-download');
    const fault = mirror.faults.forgeSignature(
      { prefix: mirror.url('/builds.coreos.fedoraproject.org/') },
      { mode: 'other-key' },
    );
    const error = await download({ release }, ctx, deps()).catch((e: unknown) => e);
    fault.remove();
    expect((error as DownloadRejected).reason).toBe('signature-invalid');
  });

  // Defect: a worker killed after the last byte (decompressing, or checking the image
  // signature) left the whole file as download.part; every retry asked for the bytes past its
  // end, the mirror answered 416, and the release was never published.
  it.each(['fedora-coreos-stable', 'flatcar-stable'] as const)(
    '%s: a worker killed after the last byte left a complete download.part; it is verified, not fetched again',
    async (seriesId) => {
      const release = await releaseOf(seriesId);
      const d = deps();
      const paths = stagingPaths(d.stagingDir, release.series, release.version);
      mkdirSync(paths.dir, { recursive: true });
      const path = new URL(release.url).pathname;
      // the bytes straight from the mirror's files: a request of our own would be logged when
      // its connection closes, which may come after the count below has begun
      const whole = readFileSync(join(mirror.root, decodeURIComponent(path)));
      writeFileSync(paths.part, whole);
      writeFileSync(paths.disk, whole.subarray(0, 4096)); // decompression had begun
      // no request of an earlier test is still open when the count begins
      const finished = () => Object.values(mirror.requests.statuses).reduce((a, b) => a + b, 0);
      await vi.waitFor(() => expect(mirror.requests.total).toBeLessThanOrEqual(finished()));
      mirror.requests.reset();
      const artifact = await download({ release }, ctx, d);
      expect(artifact.sha512).toBe(uncompressed(seriesId));
      expect(createHash('sha512').update(readFileSync(artifact.path)).digest('hex')).toBe(
        artifact.sha512,
      );
      const asked = mirror.requests.log.filter((entry) => entry.path === path);
      // at most one request, answered 416 with the whole length: nothing fetched again
      expect(asked.map((entry) => [entry.range, entry.status])).toEqual(
        release.size ? [] : [[`bytes=${whole.length}-`, 416]],
      );
    },
  );

  it('a cancel stops the download with its reason, and the next attempt does not fetch the image again', async () => {
    const release = await releaseOf('fedora-coreos-stable');
    const path = new URL(release.url).pathname;
    const d = deps();
    const cancel = new AbortController();
    const cancelling = {
      progress: (v: Record<string, number | string>) => {
        // the last byte has arrived: cancel before the transfer has ended
        if (v.phase === 'download' && v.bytes === v.total)
          cancel.abort(new Error('drain deadline passed'));
        return Promise.resolve();
      },
      signal: cancel.signal,
    };
    mirror.requests.reset();
    const error = await download({ release }, cancelling, d).catch((e: unknown) => e);
    expect(error).toEqual(new Error('drain deadline passed')); // no rejection: nothing is wrong
    const paths = stagingPaths(d.stagingDir, release.series, release.version);
    expect(existsSync(paths.part)).toBe(true);

    const artifact = await download({ release }, ctx, d);
    expect(createHash('sha512').update(readFileSync(artifact.path)).digest('hex')).toBe(
      uncompressed('fedora-coreos-stable'),
    );
    // the whole file once; then, at most, a range past its end that the mirror answers 416
    const expected = release.size ? [200] : [200, 416];
    await vi.waitFor(() =>
      expect(mirror.requests.log.filter((e) => e.path === path)).toHaveLength(expected.length),
    );
    expect(mirror.requests.log.filter((e) => e.path === path).map((e) => e.status)).toEqual(
      expected,
    );
  });

  it('resumes, with a Range request, the partial file an earlier attempt left, and says so', async () => {
    const release = await releaseOf('ubuntu-22.04');
    const path = new URL(release.url).pathname;
    mirror.requests.reset();
    const whole = Buffer.from(await (await fetch(release.url)).arrayBuffer());
    // that fetch is logged once its response has closed: out of the log the test reads
    await vi.waitFor(() =>
      expect(mirror.requests.log.filter((e) => e.path === path)).toHaveLength(1),
    );
    const half = Math.floor(whole.length / 2);
    const d = deps();
    // what a worker killed halfway through leaves: the first half of the file
    const paths = stagingPaths(d.stagingDir, release.series, release.version);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.part, whole.subarray(0, half));
    mirror.requests.reset();
    const recovered: { detail: string }[] = [];
    const artifact = await download({ release }, ctx, {
      ...d,
      onRecovered: (what) => Promise.resolve(void recovered.push(what)),
    });
    expect(artifact.upstreamChecksum).toEqual(release.checksum);
    expect(mirror.requests.log.filter((e) => e.path === path).map((e) => e.range)).toEqual([
      `bytes=${half}-`,
    ]);
    expect(recovered).toEqual([
      {
        detail: `resumed the partial download an earlier attempt left, with a Range request from byte ${half} of ${whole.length}`,
      },
    ]);
  });

  it('returns a verified artifact again without touching the network', async () => {
    const release = await releaseOf('debian-11');
    const d = deps();
    const first = await download({ release }, ctx, d);
    mirror.requests.reset();
    const second = await download({ release }, ctx, d);
    expect(second).toEqual(first);
    expect(mirror.requests.total).toBe(0);
  });
});
