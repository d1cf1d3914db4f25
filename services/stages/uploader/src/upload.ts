// The uploader's handler: a verified artifact becomes a hidden candidate image, its bytes
// checked by Glance's own hash, optionally smoke-booted, then marked `verified` - the one
// state the renamer promotes - and handed to the renamer.
// What is verified comes from staging, never from the job: the artifact is the one the
// downloader's marker records for this release (staged-artifact.ts).
// Idempotent: a rerun for the same version finds the candidate and continues or replaces
// it; a failure never leaves a queued or saving image behind. A failed check deletes the
// image only while Glance still has it as an unpromoted candidate: a concurrent run of the
// same version may have verified it, and the renamer promoted it, in the meantime.
// A cancel (the signal aborted by a shutdown) ends the transfer and every wait at once: a
// candidate not yet active is deleted like after a failure, an active one is kept for the
// next attempt to check.
import { rm, stat } from 'node:fs/promises';
import { formatChecksum, PROPERTY, type Release, stagingPaths } from '@imagecycle/contracts';
import { resolve } from 'node:path';
import { failpoint } from '@imagecycle/failpoints';
import { listManagedImages } from '@imagecycle/inventory';
import {
  type GlanceClient,
  type GlanceImage,
  imageProperty,
  StreamRefusedError,
} from '@imagecycle/openstack';
import { publishedVersions, rollbackRefusal } from '@imagecycle/lifecycle';
import type { Series } from '@imagecycle/series-catalogue';
import { type Artifact, candidateImage } from './candidate.ts';
import { UploadRejected } from './errors.ts';
import { ArtifactDigest } from './artifact-digest.ts';
import { type SmokeTester, smokeTest } from './smoke-test.ts';
import {
  markedArtifact,
  StagingDamaged,
  StagingRefused,
  stagedArtifact,
} from './staged-artifact.ts';
import { FollowAbandoned, StagedFollower } from './follow-staged.ts';

export interface UploadDeps {
  glance: GlanceClient;
  owner: string;
  /** The staging directory the downloader writes (IMAGECYCLE_STAGING_DIR). */
  stagingDir: string;
  findSeries(id: string): Series | undefined;
  enqueueReconcile(series: string, reason: string): Promise<unknown>;
  /** Boots a server from the candidate when the series asks for a smoke test. */
  smokeTester?: SmokeTester | undefined;
  /** Told each smoke test's verdict and how long it took (not a cancelled one). */
  onSmokeTest?: ((verdict: SmokeVerdict) => Promise<void>) | undefined;
  now?: () => Date;
  /** Waiting for Glance to finish ingesting (default 30 minutes). */
  activeTimeoutMs?: number;
  /** The job's: aborting it cancels the upload, the waits and the smoke test. */
  signal?: AbortSignal;
  /** Told of each leftover candidate of an earlier attempt that this one replaces. */
  onRecovered?: (what: { imageId: string; detail: string }) => Promise<unknown>;
  /**
   * This target is done with the staged release (published, or rejected in it): removes the
   * release's staging once no other target still needs it. Absent: the only target, so the
   * directory goes at once.
   */
  releaseStaging?: ((outcome: 'published' | 'rejected') => Promise<void>) | undefined;
  /** An overlapped upload: how often it reads the download's progress again (100 ms). */
  followPollMs?: number;
  /** An overlapped upload gives up on a download that has not moved for this long (10 min). */
  followStallMs?: number;
  /**
   * Hash the bytes as they are sent (default). False, for an artifact whose SHA-512 the
   * downloader computed: nothing is hashed here, Glance's own SHA-512 of what it stored is
   * compared with the artifact's - with several targets, one hash at download instead of two
   * per target. A mismatch then hashes the staged file once, to tell a changed staged file
   * (damaged staging: downloaded again) from bytes Glance stored wrongly (rejected).
   */
  hashWhileSending?: boolean | undefined;
}

/** How a smoke test ended: the image booted (passed) or it was rejected (failed). */
export interface SmokeVerdict {
  result: 'passed' | 'failed';
  imageId: string;
  durationSeconds: number;
  /** Why it failed. */
  message?: string;
}

export interface UploadProgress {
  progress(value: Record<string, number | string>): Promise<void>;
}

export interface UploadResult {
  imageId: string;
  reused: boolean;
}

export async function upload(
  payload: { release: Release; artifact?: Artifact | undefined },
  ctx: UploadProgress,
  deps: UploadDeps,
): Promise<UploadResult> {
  try {
    return await publish(payload, ctx, deps);
  } catch (error) {
    // Bytes that are no longer the verified ones never will be again: their directory goes
    // (marker included), so the release's next download fetches and verifies it anew
    // instead of handing these bytes over once more.
    // A rejected release (Glance stored other bytes, the guest never booted, it would roll
    // the series back) is never published from these bytes either: its directory goes too,
    // rather than filling the staging volume until the janitor's three-day sweep.
    // With several targets, a rejection in this one (its Glance stored other bytes, its
    // smoke test failed, it would roll its series back) leaves the copy to the others.
    // Overlapped and refused before the download was verified (a rollback), the directory is
    // still the downloader's: nothing is removed or recorded yet - the upload enqueued once it
    // is verified repeats the refusal, and does both then.
    if (!deps.signal?.aborted) {
      const { release } = payload;
      const paths = stagingPaths(resolve(deps.stagingDir), release.series, release.version);
      const verified = payload.artifact !== undefined || (await exists(paths.marker));
      if (verified && error instanceof StagingDamaged)
        await rm(paths.dir, { recursive: true, force: true });
      if (verified && error instanceof UploadRejected)
        await (deps.releaseStaging
          ? deps.releaseStaging('rejected')
          : rm(paths.dir, { recursive: true, force: true }));
    }
    throw error;
  }
}

async function publish(
  payload: { release: Release; artifact?: Artifact | undefined },
  ctx: UploadProgress,
  deps: UploadDeps,
): Promise<UploadResult> {
  const { release } = payload;
  const { signal } = deps;
  // Requests the job's cancel ends; `deps.glance` itself makes what must not be cut short:
  // the candidate's creation (its id is needed to clean up) and the clean-up.
  const glance = signal ? deps.glance.withSignal(signal) : deps.glance;
  const series = deps.findSeries(release.series);
  if (!series) throw new Error(`series "${release.series}" is not in the catalogue`);
  const what = `series ${series.id} version ${release.version}`;

  // Checked before Glance is touched: a forged job neither creates nor deletes anything. A
  // job without an artifact (enqueued while the download ran) takes the marker's, once there.
  const staged = payload.artifact
    ? await stagedArtifact(deps.stagingDir, release, payload.artifact, what)
    : await markedArtifact(deps.stagingDir, release, what);
  // No marker yet, but the download is writing the disk image: follow it (overlapped).
  const follower =
    staged.artifact || payload.artifact
      ? undefined
      : await StagedFollower.of(staged.paths, what, {
          signal,
          ...(deps.followPollMs ? { pollMs: deps.followPollMs } : {}),
          ...(deps.followStallMs ? { stallMs: deps.followStallMs } : {}),
        });
  const existing = await listManagedImages(glance, {
    owner: deps.owner,
    series: series.id,
    version: release.version,
  });
  if (!staged.artifact && !follower) {
    // Nothing verified in staging. Staging is removed only after the image was marked
    // verified, so an active, verified (or already promoted) image of this very release
    // (its upstream checksum) passed every check before: it is handed to the renamer again.
    // A candidate whose staging is gone can no longer be checked; anything else is refused.
    const published = existing.find(
      (i) =>
        i.status === 'active' &&
        imageProperty(i, PROPERTY.state) !== 'candidate' &&
        imageProperty(i, PROPERTY.upstreamChecksum) === formatChecksum(release.checksum),
    );
    if (!published)
      throw new StagingRefused(
        `${what}: no staging marker ${staged.paths.marker}: the downloader has not verified these bytes, and Glance has no verified image of this release to continue`,
      );
    await deps.enqueueReconcile(series.id, `uploaded ${release.version}`);
    await deps.releaseStaging?.('published');
    return { imageId: published.id, reused: true };
  }
  let artifact: Artifact | undefined = staged.artifact;
  /** The artifact once the downloader verified it (an overlapped upload waits for it). */
  const verifiedArtifact = async (): Promise<Artifact> => {
    if (artifact) return artifact;
    await (follower as StagedFollower).verified();
    const marked = await markedArtifact(deps.stagingDir, release, what);
    if (!marked.artifact)
      throw new FollowAbandoned(`${what}: the staging marker went away as it was read`);
    artifact = marked.artifact;
    return artifact;
  };
  let image = await settleExisting(glance, existing, deps.onRecovered);
  const reused = image !== undefined;
  // What the artifact's bytes hash to: known from the downloader's marker, or computed as
  // they are sent (or, for a reused image, read again) and checked against the upstream's
  // checksum.
  let sha512 = artifact?.sha512;

  // Glance's hash alone, against the downloader's SHA-512, when the caller asks for it (an
  // overlapped upload learns that SHA-512 from the marker, once the download is verified)
  const hashing =
    deps.hashWhileSending !== false || (artifact !== undefined && sha512 === undefined);
  if (!image) {
    // The feed-watcher refused a rollback when it enqueued the download; Glance may have
    // moved on since (a newer release published meanwhile), and a job may be replayed.
    await refuseRollback(glance, deps.owner, series.id, release.version, what);
    // Overlapped, the image is described before the marker: its format is the one the feed
    // declares (the downloader refuses any other), its minimum disk follows below.
    const described = artifact ?? provisionalArtifact(release, staged.paths.disk);
    const created = await deps.glance.createImage(
      candidateImage(series, release, described, deps.now?.() ?? new Date()),
    );
    try {
      let last = 0;
      /** Sends the file once; the digest is of this sending only, begun as the file opens. */
      const send = async (): Promise<ArtifactDigest | undefined> => {
        let digest: ArtifactDigest | undefined;
        let opened = false;
        let transferredSoFar = 0;
        last = 0;
        const size = artifact?.size;
        const report = (bytes: number) => {
          last = bytes;
          return ctx.progress({ bytes, ...(size ? { total: size } : {}), phase: 'upload' });
        };
        await glance.uploadImageData(
          created.id,
          follower
            ? {
                path: staged.paths.disk,
                open: () => follower.open(),
                follow: (position) => follower.until(position),
              }
            : { path: described.path },
          {
            ...(size ? { size } : {}),
            onOpen: () => {
              opened = true;
              if (!hashing) return () => undefined;
              const fresh = new ArtifactDigest(described);
              digest = fresh;
              return (chunk) => fresh.update(chunk);
            },
            onProgress: ({ transferred }) => {
              transferredSoFar = transferred;
              // overlapped: halfway through what the download has written so far
              const known = size ?? follower?.written ?? 0;
              if (transferred * 2 >= known && transferred < known) failpoint('uploader:mid-upload');
              if (size === undefined) {
                if (transferred - last < 64 * 1024 * 1024) return;
              } else if (transferred - last < size / 100 && transferred !== size) return;
              void report(transferred);
            },
          },
        );
        if (!opened) throw new Error(`${what}: the upload finished without sending the file`);
        // a followed file's size was unknown: its last bytes are reported once sent (the
        // bytes-moved counter and Bull Board see the whole file)
        if (transferredSoFar > last) await report(transferredSoFar);
        return digest;
      };
      let sent: ArtifactDigest | undefined;
      try {
        sent = await send();
      } catch (error) {
        // The token was refused on the way (revoked, expired): Glance took none of the bytes,
        // the image is still queued and the session has dropped the token. Send the file
        // again from its start, once - hashed afresh, never on top of the refused sending.
        if (!(error instanceof StreamRefusedError)) throw error;
        sent = await send();
      }
      image = await glance.waitForImageStatus(created.id, ['active'], {
        timeoutMs: deps.activeTimeoutMs ?? 30 * 60_000,
        failOn: ['killed', 'deleted'],
      });
      // Overlapped: the bytes sent must be the ones the downloader then verified.
      const final = await verifiedArtifact();
      if (sent) sha512 = sent.verify(what, final);
    } catch (error) {
      await deps.glance.deleteImage(created.id); // no queued/saving candidate left behind
      throw error;
    }
  }

  try {
    const final = await verifiedArtifact();
    sha512 ??= final.sha512 ?? (await reusedImageDigest(image, final, what, signal));
    try {
      verifyStored(image, final, sha512, what);
    } catch (error) {
      // Not hashed as sent: a changed staged file is damaged staging (downloaded again), found
      // by hashing it now. Bytes that still are the verified ones were sent wrong while
      // following the download (sent again, whole) or stored wrong by Glance (rejected).
      if (!hashing) {
        await ArtifactDigest.ofFile(final, what, signal);
        if (follower && !reused)
          throw new Error(
            `${what}: Glance's hash of the bytes sent while following the download is not the verified file's; the next attempt sends the verified file`,
          );
      }
      throw error;
    }
    const minDisk = candidateImage(series, release, final, new Date()).min_disk;
    if (image.min_disk !== minDisk)
      await glance.patchImage(image.id, [{ op: 'replace', path: '/min_disk', value: minDisk }]);
    if (series.smokeTest && deps.smokeTester)
      await timedSmokeTest(deps, image.id, series, what, signal);
  } catch (error) {
    // a cancelled check says nothing against the image: the next attempt checks it again;
    // nor does a download started again: a retry follows the new file
    if (!signal?.aborted) await deleteIfCandidate(deps.glance, image.id);
    throw error;
  }

  // The last step: every check passed, the renamer may now promote it.
  await markVerified(glance, image.id, what);
  await deps.enqueueReconcile(series.id, `uploaded ${release.version}`);
  // Published: this target no longer needs the release's directory (disk image and marker).
  await (deps.releaseStaging
    ? deps.releaseStaging('published')
    : rm(staged.paths.dir, { recursive: true, force: true }));
  return { imageId: image.id, reused };
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * How an overlapped upload describes the image before the marker: the feed's format and the
 * upstream checksum of an uncompressed release (its bytes are the disk image); the size and
 * virtual size are not known yet (the candidate's minimum disk is corrected afterwards).
 */
function provisionalArtifact(release: Release, path: string): Artifact {
  return {
    path,
    size: 1,
    diskFormat: release.diskFormat,
    virtualSize: 1,
    ...(release.compression === 'none' ? { upstreamChecksum: release.checksum } : {}),
  };
}

/**
 * Marks the image `verified`, read again from Glance: only a candidate changes state - an
 * image a concurrent run already verified, or the renamer already promoted, keeps its state.
 * An image gone meanwhile (a concurrent run's check failed) fails the job, which a retry
 * uploads again.
 */
async function markVerified(glance: GlanceClient, id: string, what: string): Promise<void> {
  const current = await glance.findImage(id);
  if (!current) throw new Error(`${what}: image ${id} was deleted before it could be verified`);
  if (imageProperty(current, PROPERTY.state) !== 'candidate') return;
  await glance.applyImage(current, { properties: { [PROPERTY.state]: 'verified' } });
}

/**
 * After a failed check: deletes the image only if Glance, read again now, still has it as a
 * candidate. The copy read at the start is stale - a verified or promoted image (perhaps the
 * public Latest by now) passed its checks in another run and is never deleted here.
 */
async function deleteIfCandidate(glance: GlanceClient, id: string): Promise<void> {
  const current = await glance.findImage(id);
  if (current && imageProperty(current, PROPERTY.state) === 'candidate')
    await glance.deleteImage(id);
}

/**
 * The SHA-512 an image found in Glance must have when the artifact does not say: an active
 * candidate whose staged file is still there is checked against that file (a crash may have
 * come between "active" and the check). Staging is removed only after the check passed, so
 * an image without its file - or one already verified or promoted - was checked before.
 */
async function reusedImageDigest(
  image: GlanceImage,
  artifact: Artifact,
  what: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const staged = await stat(artifact.path).then(
    () => true,
    () => false,
  );
  if (staged && imageProperty(image, PROPERTY.state) === 'candidate')
    return ArtifactDigest.ofFile(artifact, what, signal);
  return image.os_hash_value ?? '';
}

/**
 * What to do with images already there for this version: an active one is kept (it is
 * checked like a fresh one); a candidate that never became active (queued, saving, killed -
 * left by a crash) is deleted so it can be made again.
 */
async function settleExisting(
  glance: GlanceClient,
  images: GlanceImage[],
  onRecovered: UploadDeps['onRecovered'],
): Promise<GlanceImage | undefined> {
  let keep: GlanceImage | undefined;
  for (const image of images) {
    // an active image is checked against the artifact's bytes afterwards, like a fresh one
    if (image.status === 'active' && !keep) keep = image;
    else if (imageProperty(image, PROPERTY.state) === 'candidate') {
      await glance.deleteImage(image.id);
      await onRecovered?.({
        imageId: image.id,
        detail: `leftover candidate of an earlier attempt (${image.status}) deleted; uploading again`,
      });
    }
  }
  return keep;
}

/** Glance's own hash of what it stored must be the artifact's; the format must be what was sniffed. */
function verifyStored(image: GlanceImage, artifact: Artifact, sha512: string, what: string): void {
  if (image.os_hash_algo !== 'sha512' || image.os_hash_value !== sha512) {
    throw new UploadRejected(
      'hash-mismatch',
      `${what}: Glance stored ${image.os_hash_algo}:${image.os_hash_value?.slice(0, 16)}..., the artifact is sha512:${sha512.slice(0, 16)}...`,
    );
  }
  if (image.size !== artifact.size || image.disk_format !== artifact.diskFormat) {
    throw new UploadRejected(
      'incompatible',
      `${what}: Glance has ${image.size} bytes of ${image.disk_format}, the artifact ${artifact.size} of ${artifact.diskFormat}`,
    );
  }
  if (
    image.virtual_size !== null &&
    image.virtual_size !== undefined &&
    image.virtual_size !== artifact.virtualSize
  ) {
    throw new UploadRejected(
      'incompatible',
      `${what}: Glance reads a virtual size of ${image.virtual_size}, the artifact ${artifact.virtualSize}`,
    );
  }
}

/**
 * Refuses, before anything is created, a release that is not newer than the series' Latest
 * (or a verified image about to become it), read from Glance now.
 */
async function refuseRollback(
  glance: GlanceClient,
  owner: string,
  series: string,
  version: string,
  what: string,
): Promise<void> {
  const { latest } = publishedVersions(await listManagedImages(glance, { owner, series }));
  const refusal = rollbackRefusal(version, latest);
  if (refusal) throw new UploadRejected('rollback', `${what}: ${refusal}`);
}

/** The smoke test, its verdict and duration told to `onSmokeTest`; a cancel tells nothing. */
async function timedSmokeTest(
  deps: UploadDeps,
  imageId: string,
  series: Series,
  what: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const tester = deps.smokeTester;
  const config = series.smokeTest;
  if (!tester || !config) return;
  const started = performance.now();
  const seconds = () => Math.round(performance.now() - started) / 1000;
  try {
    await smokeTest(tester, imageId, config, what, signal, {
      minDisk: series.minDisk,
      minRam: series.minRam,
    });
  } catch (error) {
    if (!signal?.aborted && error instanceof UploadRejected) {
      await deps.onSmokeTest?.({
        result: 'failed',
        imageId,
        durationSeconds: seconds(),
        message: error.message,
      });
    }
    throw error;
  }
  await deps.onSmokeTest?.({ result: 'passed', imageId, durationSeconds: seconds() });
}
