// What the uploader publishes is what staging proves, never what the job claims. A job's
// payload is only a request - anyone who can write to Redis (or use Bull Board's actions)
// can shape it - so its artifact is checked against what the downloader left:
//   - the path lies in the release's own staging directory, also after resolving symlinks,
//     and is the disk image the marker names (not some other file the worker can read);
//   - the marker exists, is this release's (series, version), and was verified against the
//     release's upstream checksum - not a respin's;
//   - the job's size, digests, format and virtual size are the marker's, and the file still
//     has the recorded size. The digest itself is checked as the bytes are sent.
// A refusal is a StagingRefused error, not a Rejection: it is a verdict on the job, not on
// the release, which may be fine and is downloaded again by the next feed check.
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  type Artifact,
  formatChecksum,
  type Release,
  type StagingMarker,
  stagingMarkerSchema,
  type StagingPaths,
  stagingPaths,
} from '@imagecycle/contracts';

/** An upload job whose artifact staging does not prove; nothing of it is published. */
export class StagingRefused extends Error {
  override name = 'StagingRefused';
}

/**
 * Staging holds a marker, but the bytes beside it are no longer the ones the downloader
 * verified (grown, cut, gone, or hashing otherwise as they are sent). No retry of the upload
 * can help: the uploader removes the release's staging directory, and the release must be
 * downloaded again.
 */
export class StagingDamaged extends StagingRefused {
  override name = 'StagingDamaged';
}

/** Whether `path` lies below `dir` (both absolute and normalized). */
const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

const realOrUndefined = (path: string) => realpath(path).catch(() => undefined);

/**
 * The artifact the downloader verified for `release`, read from its staging marker, once
 * the job's `claimed` artifact is proven to be it. Undefined when the release has no marker
 * (and the job names its disk image): published before (staging is removed after), or never
 * downloaded - the caller decides. Throws StagingRefused for anything else.
 */
export async function stagedArtifact(
  stagingDir: string,
  release: Pick<Release, 'series' | 'version' | 'checksum'>,
  claimed: Artifact,
  what: string,
): Promise<{ artifact: Artifact | undefined; paths: StagingPaths }> {
  const paths = stagingPaths(resolve(stagingDir), release.series, release.version);
  const refuse = (message: string): never => {
    throw new StagingRefused(`${what}: ${message}`);
  };
  const notIn = `is not in the release's staging directory ${paths.dir}`;

  // The path as written: in the release's directory, and its disk image.
  const path = resolve(claimed.path);
  if (!inside(paths.dir, path)) refuse(`the job's artifact ${claimed.path} ${notIn}`);
  if (path !== paths.disk)
    refuse(`the job's artifact ${claimed.path} is not the release's disk image ${paths.disk}`);

  // The path as the file system resolves it: no symlink below the staging directory (the
  // downloader makes none), so nothing leads out of the release's directory.
  const root = await realOrUndefined(stagingDir);
  const dir = await realOrUndefined(paths.dir);
  const file = await realOrUndefined(path);
  if (
    dir !== undefined &&
    (root === undefined || dir !== join(root, relative(resolve(stagingDir), paths.dir)))
  )
    refuse(
      `the release's staging directory ${paths.dir} resolves to ${dir}, not a directory of ${root ?? stagingDir}`,
    );
  if (file !== undefined && (dir === undefined || !inside(dir, file)))
    refuse(`the job's artifact ${claimed.path} resolves to ${file}, which ${notIn}`);
  if (file !== undefined && file !== join(dir ?? '', basename(paths.disk)))
    refuse(`the job's artifact ${claimed.path} resolves to ${file}, not to the disk image itself`);

  // The marker: the downloader's word, bound to this release's checksum.
  const marker = await readMarker(paths, what);
  if (marker === undefined) return { artifact: undefined, paths };
  if (marker.series !== release.series || marker.version !== release.version)
    refuse(
      `the staging marker ${paths.marker} is of series ${marker.series} version ${marker.version}`,
    );
  const checksum = formatChecksum(release.checksum);
  if (marker.upstreamChecksum !== checksum)
    refuse(
      `the bytes in ${paths.dir} were verified against ${marker.upstreamChecksum}, the release's checksum is ${checksum}`,
    );
  const verified = marker.artifact;
  if (resolve(verified.path) !== paths.disk)
    refuse(`the staging marker ${paths.marker} names ${verified.path}, not ${paths.disk}`);
  if (!verified.sha512 && !verified.upstreamChecksum)
    refuse(`the staging marker ${paths.marker} records no digest of ${paths.disk}`);
  if (verified.upstreamChecksum && formatChecksum(verified.upstreamChecksum) !== checksum)
    refuse(`the staging marker ${paths.marker} records another upstream checksum for the image`);

  const fields = ['size', 'sha512', 'diskFormat', 'virtualSize'] as const;
  const differs: string[] = fields.filter((field) => claimed[field] !== verified[field]);
  const upstream = (a: Artifact) => a.upstreamChecksum && formatChecksum(a.upstreamChecksum);
  if (upstream(claimed) !== upstream(verified)) differs.push('upstreamChecksum');
  if (differs.length > 0)
    refuse(
      `the job's artifact does not match what the downloader verified (${differs.join(', ')} differ)`,
    );

  const size = await stat(paths.disk).then(
    (info) => info.size,
    () => undefined,
  );
  const damaged = (message: string): never => {
    throw new StagingDamaged(`${what}: ${message}`);
  };
  if (size === undefined) damaged(`${paths.disk} is gone, though its staging marker is there`);
  if (size !== verified.size)
    damaged(`${paths.disk} has ${size} bytes, the downloader verified ${verified.size}`);
  return { artifact: { ...verified, path: paths.disk }, paths };
}

/**
 * For a job that names no artifact (an upload enqueued while the download ran): the artifact
 * the staging marker records, checked exactly as a job's claim would be; undefined while there
 * is no marker.
 */
export async function markedArtifact(
  stagingDir: string,
  release: Pick<Release, 'series' | 'version' | 'checksum'>,
  what: string,
): Promise<{ artifact: Artifact | undefined; paths: StagingPaths }> {
  const paths = stagingPaths(resolve(stagingDir), release.series, release.version);
  const marker = await readMarker(paths, what);
  if (marker === undefined) return { artifact: undefined, paths };
  return stagedArtifact(stagingDir, release, marker.artifact, what);
}

/** The staging marker; undefined when there is none, StagingRefused when it cannot be read. */
async function readMarker(paths: StagingPaths, what: string): Promise<StagingMarker | undefined> {
  const text = await readFile(paths.marker, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = stagingMarkerSchema.safeParse(json);
  if (!parsed.success)
    throw new StagingRefused(`${what}: the staging marker ${paths.marker} cannot be read`);
  return parsed.data;
}
