// The downloader's handler: one release in, one verified artifact in staging out.
//   fetch the pinned URL (resumable, hashed while streaming) -> compare with the upstream
//   checksum -> verify the image signature where the upstream signs the file itself ->
//   decompress (hashed) -> inspect the disk image as Glance does (format, virtual size,
//   safety checks) -> mark verified.
// Any mismatch deletes what was fetched, and so does a pinned URL that answers 404/410 (the
// upstream withdrew the release): both are rejections, never retried as outages. The marker
// names the release's upstream checksum: a rerun for the same release returns the marked
// artifact without touching the network, a respin (same version, new checksum) is
// downloaded anew; after a crash or a cancel it resumes the partial download. A cancel (the
// context's signal aborted) stops the transfer or the decompression at once and throws the
// signal's reason - never a rejection: nothing is wrong with the release.
import { rename, rm, stat } from 'node:fs/promises';
import type { Artifact, Release } from '@imagecycle/contracts';
import { SignatureError, type TrustAnchor, verifyDetachedFile } from '@imagecycle/trust';
import got from 'got';
import { failpoint } from '@imagecycle/failpoints';
import { decompress } from './decompress.ts';
import { inspectDiskFile } from './disk-format.ts';
import { ConversionError, qcow2ToRaw } from './qcow2-to-raw.ts';
import { DownloadRejected } from './errors.ts';
import { fetchFile, UrlGone } from './fetch-file.ts';
import {
  ensureDir,
  markVerified,
  stagingPaths,
  type StagingPaths,
  verifiedArtifact,
} from './staging.ts';
import { WrittenFact, type WrittenOptions } from './written.ts';

export interface DownloadDeps {
  stagingDir: string;
  trustFor(series: string): Promise<TrustAnchor | undefined>;
  /** The catalogue's `diskFormat` of the series: `raw` converts a qcow2 release before upload. */
  publishAs?(series: string): 'raw' | undefined;
  fetchAttempts?: number;
  timeoutMs?: number;
  verifyTls?: boolean;
  /** Told when the download resumes, with a Range request, a partial file an earlier attempt left. */
  onRecovered?: (what: { detail: string }) => Promise<unknown>;
  /**
   * Publish how far the staged disk image is durably written (`written.json`), for an upload
   * that follows it while the download runs. Never for a release converted before upload.
   */
  overlap?: boolean;
  /** Called once the first bytes of the disk image are on the disk and published (overlap). */
  onStaged?: () => void;
  /** How coarse the durable-progress facts are (written.ts has the defaults). */
  durableEvery?: WrittenOptions;
  /**
   * Take the disk image's SHA-512 while downloading an uncompressed release too (several
   * targets: hashed once here rather than by every target's upload).
   */
  sha512?: boolean;
}

export interface DownloadContext {
  progress(value: Record<string, number | string>): Promise<void>;
  /** The job's: aborting it cancels the download where it is. */
  signal?: AbortSignal;
}

function throttled(ctx: DownloadContext, phase: string) {
  let last = 0;
  let lastAt = 0;
  return (bytes: number, total?: number) => {
    if (phase === 'download' && total && bytes * 2 >= total && bytes < total)
      failpoint('downloader:mid-download');
    const now = Date.now();
    if (bytes === total || now - lastAt >= 500 || (total && bytes - last >= total / 100)) {
      last = bytes;
      lastAt = now;
      void ctx.progress({
        phase,
        bytes,
        ...(total ? { total, percent: Math.floor((bytes / total) * 100) } : {}),
      });
    }
  };
}

export async function download(
  payload: { release: Release },
  ctx: DownloadContext,
  deps: DownloadDeps,
): Promise<Artifact> {
  const paths = stagingPaths(deps.stagingDir, payload.release.series, payload.release.version);
  const converted =
    payload.release.diskFormat === 'qcow2' && deps.publishAs?.(payload.release.series) === 'raw';
  const written =
    deps.overlap && !converted
      ? new WrittenFact(paths, deps.onStaged, deps.durableEvery)
      : undefined;
  try {
    return await stage(payload.release, paths, ctx, deps, written);
  } finally {
    await written?.stop();
  }
}

async function stage(
  release: Release,
  paths: StagingPaths,
  ctx: DownloadContext,
  deps: DownloadDeps,
  written: WrittenFact | undefined,
): Promise<Artifact> {
  const { signal } = ctx;
  const what = `series ${release.series} version ${release.version}`;

  // Verified before: returned as it is. A marker of another release (a respin of this
  // version) is discarded with its directory, and the release is downloaded anew.
  const done = await verifiedArtifact(paths, release);
  if (done) return done;

  await ensureDir(paths);
  const compressed = release.compression !== 'none';
  // Only the upstream's algorithm while downloading: for an uncompressed release the uploader
  // computes SHA-512 as it sends the bytes (overlapping Glance's own hashing). With several
  // targets SHA-512 is taken here too, once, instead of once per target's upload.
  const algorithms = [
    release.checksum.algorithm,
    ...(deps.sha512 && !compressed && release.checksum.algorithm !== 'sha512'
      ? ['sha512' as const]
      : []),
  ];
  const reject = async (error: DownloadRejected): Promise<never> => {
    await rm(paths.dir, { recursive: true, force: true });
    throw error;
  };
  const fetch = () =>
    fetchFile(release.url, paths.part, {
      algorithms,
      size: release.size,
      onProgress: throttled(ctx, 'download'),
      ...(deps.fetchAttempts ? { attempts: deps.fetchAttempts } : {}),
      ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
      ...(deps.verifyTls === false ? { verifyTls: false } : {}),
      // an uncompressed download is the disk image itself: an overlapped upload follows it
      ...(written && !compressed
        ? { onStart: (fromZero: boolean) => written.follow(paths.part, fromZero) }
        : {}),
      signal,
      onResume: ({ from, total, earlier }) =>
        earlier &&
        deps.onRecovered?.({
          detail: `resumed the partial download an earlier attempt left, with a Range request from byte ${from}${total ? ` of ${total}` : ''}`,
        }),
    }).catch((error: unknown) => {
      // The pinned URL is gone (an upstream pulling a broken build answers 404/410, also
      // halfway through a download): a verdict on the release, not an outage to retry. The
      // partial file goes with its directory.
      if (error instanceof UrlGone && !signal?.aborted)
        return reject(
          new DownloadRejected(
            'withdrawn',
            `${what}: ${error.url} answered ${error.status}: the upstream no longer publishes it (withdrawn)`,
          ),
        );
      throw error;
    });
  let fetched = await fetch();
  // every byte is in download.part; nothing is verified yet
  failpoint('downloader:after-last-byte');
  if (
    fetched.digests[release.checksum.algorithm] !== release.checksum.value &&
    fetched.reused > 0
  ) {
    // Bytes from an earlier attempt (complete or not) that do not hash right - damaged, or
    // an earlier respin's - are no verdict on the release: fetch it whole, from zero.
    await rm(paths.part, { force: true });
    fetched = await fetch();
  }

  const actual = fetched.digests[release.checksum.algorithm];
  if (actual !== release.checksum.value) {
    return reject(
      new DownloadRejected(
        'checksum-mismatch',
        `${what}: ${release.url} hashes to ${release.checksum.algorithm}:${actual?.slice(0, 16)}..., the upstream says ${release.checksum.value.slice(0, 16)}...`,
      ),
    );
  }

  if (release.signature.status === 'verify-on-download') {
    const trust = await deps.trustFor(release.series);
    if (!trust)
      return reject(
        new DownloadRejected(
          'signature-invalid',
          `${what}: no keys to verify ${release.signature.signatureUrl}`,
        ),
      );
    try {
      const signature = (
        await got(release.signature.signatureUrl, {
          responseType: 'buffer',
          timeout: { request: 30_000 },
          ...(signal ? { signal } : {}),
        })
      ).body;
      await verifyDetachedFile({
        path: paths.part,
        signature,
        trust,
        source: `${release.series} ${release.signature.signatureUrl}`,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const detail =
        error instanceof SignatureError
          ? error.message
          : `signature not fetched: ${(error as Error).message}`;
      return reject(new DownloadRejected('signature-invalid', `${what}: ${detail}`));
    }
  }

  let sha512: string | undefined;
  let size: number;
  if (compressed) {
    const inner = release.uncompressedChecksum;
    const innerAlgorithms = [
      'sha512',
      ...(inner && inner.algorithm !== 'sha512' ? [inner.algorithm] : []),
    ];
    // A new file (never the old one truncated), followed from its first byte.
    await rm(paths.disk, { force: true });
    await written?.follow(paths.disk, true);
    const out = await decompress(
      release.compression as 'xz' | 'bz2' | 'gz',
      paths.part,
      paths.disk,
      innerAlgorithms,
      (b) => throttled(ctx, 'decompress')(b),
      signal,
    ).catch((error: unknown) => {
      // cancelled: the compressed file stays for the next attempt
      if (signal?.aborted) throw signal.reason;
      return reject(
        new DownloadRejected('not-a-disk-image', `${what}: ${(error as Error).message}`),
      );
    });
    await written?.complete(paths.disk, out.size);
    if (inner && out.digests[inner.algorithm] !== inner.value) {
      return reject(
        new DownloadRejected(
          'uncompressed-checksum-mismatch',
          `${what}: the decompressed image does not match ${inner.algorithm}:${inner.value.slice(0, 16)}...`,
        ),
      );
    }
    await rm(paths.part, { force: true });
    sha512 = out.digests.sha512 ?? '';
    size = out.size;
  } else {
    await written?.complete(paths.part, fetched.size);
    await rename(paths.part, paths.disk);
    await written?.renamed(paths.disk);
    sha512 = fetched.digests.sha512;
    size = fetched.size;
  }

  let disk;
  try {
    // The marker below is written only for bytes that pass: Glance's own inspection, the
    // feed's declared format, no backing or data file to follow.
    const file = `${release.url}${compressed ? ` (decompressed from ${release.compression})` : ''}`;
    disk = await inspectDiskFile(paths.disk, release.diskFormat, `${what}: ${file}`);
  } catch (error) {
    if (error instanceof DownloadRejected) return reject(error);
    throw error;
  }
  let artifact: Artifact = {
    path: paths.disk,
    size,
    ...(sha512 ? { sha512 } : {}),
    ...(compressed ? {} : { upstreamChecksum: release.checksum }),
    diskFormat: disk.format,
    virtualSize: disk.virtualSize,
  };
  if (disk.format === 'qcow2' && deps.publishAs?.(release.series) === 'raw') {
    // Converted from the verified, inspected qcow2 (the conversion itself has no upstream
    // checksum to meet): the raw disk's own SHA-512 is what Glance must report for it.
    const converting = `${paths.disk}.raw`;
    const virtualSize = disk.virtualSize;
    const raw = await qcow2ToRaw(paths.disk, converting, {
      ...(signal ? { signal } : {}),
      onProgress: (b) => throttled(ctx, 'convert')(b, virtualSize),
    }).catch(async (error: unknown) => {
      await rm(converting, { force: true });
      if (signal?.aborted) throw signal.reason;
      // a qcow2 this converter cannot read (zstd clusters) will not convert on a retry either
      if (error instanceof ConversionError)
        return reject(
          new DownloadRejected(
            'not-a-disk-image',
            `${what}: ${release.url}: cannot be published as raw: ${error.message}`,
          ),
        );
      throw error;
    });
    await rename(converting, paths.disk);
    artifact = {
      path: paths.disk,
      size: raw.size,
      sha512: raw.sha512,
      diskFormat: 'raw',
      virtualSize: raw.size,
    };
  }
  // The file the marker vouches for must still be the one just verified: a writer that
  // should not exist (a second worker on this job) would have changed it. Such bytes are
  // never marked; the retry downloads the release anew.
  const onDisk = await stat(paths.disk).then(
    (info) => info.size,
    () => undefined,
  );
  if (onDisk !== artifact.size) {
    await rm(paths.dir, { recursive: true, force: true });
    throw new Error(
      `${what}: ${paths.disk} changed while it was verified (${onDisk ?? 'no'} bytes on disk, ${artifact.size} verified): staging removed, the next attempt downloads it anew`,
    );
  }
  await markVerified(paths, release, artifact);
  await ctx.progress({
    phase: 'verified',
    bytes: artifact.size,
    total: artifact.size,
    percent: 100,
  });
  return artifact;
}
