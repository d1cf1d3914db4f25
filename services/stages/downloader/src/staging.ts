// Where a release's bytes live in staging (the layout is the contract's: `stagingPaths`).
// Names come from series and version only - never from upstream strings - and are encoded
// losslessly, so nothing an upstream publishes can choose a path and two releases never
// share a directory.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Artifact,
  markerFits,
  type Release,
  stagingMarker,
  stagingMarkerSchema,
  stagingPaths,
  type StagingPaths,
} from '@imagecycle/contracts';

export { stagingPaths, type StagingPaths };

export async function ensureDir(paths: StagingPaths): Promise<void> {
  await mkdir(paths.dir, { recursive: true });
}

/**
 * The artifact the marker in `paths` records for `release`, when the marker is this
 * release's (series, version, upstream checksum) and its disk image is still there with the
 * recorded size. Anything else in the directory - the verified bytes of a respin, a marker
 * that cannot be read, a damaged image - is removed, so the download starts over; a
 * directory without a marker is left alone (its partial download is resumed).
 */
export async function verifiedArtifact(
  paths: StagingPaths,
  release: Pick<Release, 'series' | 'version' | 'checksum'>,
): Promise<Artifact | undefined> {
  const text = await readFile(paths.marker, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let parsed;
  try {
    parsed = stagingMarkerSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  const marker = parsed?.success ? parsed.data : undefined;
  if (marker && markerFits(marker, release) && marker.artifact.path === paths.disk) {
    const size = await stat(paths.disk).then(
      (info) => info.size,
      () => undefined,
    );
    if (size === marker.artifact.size) return marker.artifact;
  }
  await rm(paths.dir, { recursive: true, force: true });
  return undefined;
}

/** Marks `artifact` verified as the bytes of `release`: written whole or not at all. */
export async function markVerified(
  paths: StagingPaths,
  release: Pick<Release, 'series' | 'version' | 'checksum'>,
  artifact: Artifact,
): Promise<void> {
  const temporary = `${paths.marker}.tmp`;
  await writeFile(temporary, JSON.stringify(stagingMarker(release, artifact)));
  await rename(temporary, paths.marker);
}

/**
 * When a staging directory or anything in it last changed. A directory's own mtime moves only
 * when an entry is added or removed, not while `download.part` grows: a download writing for
 * longer than the abandonment age must still count as touched.
 */
async function lastTouched(dir: string): Promise<number> {
  let newest = (await stat(dir)).mtimeMs;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info) newest = Math.max(newest, info.mtimeMs);
  }
  return newest;
}

/**
 * Removes abandoned artifacts: every series/version directory that is not one of the `keep`
 * releases and in which nothing changed for longer than `olderThanMs` - the verified
 * artifact of a release whose upload is long over, or the `download.part` of a download
 * that never finished (a release withdrawn upstream whose job died before judging it).
 * Returns what it removed (directory names relative to the staging directory).
 */
export async function cleanStaging(
  stagingDir: string,
  keep: readonly { series: string; version: string }[],
  olderThanMs: number,
  now = Date.now(),
): Promise<string[]> {
  const kept = new Set(keep.map((r) => stagingPaths(stagingDir, r.series, r.version).dir));
  const removed: string[] = [];
  for (const series of await readdir(stagingDir).catch(() => [] as string[])) {
    for (const version of await readdir(join(stagingDir, series)).catch(() => [] as string[])) {
      const name = join(series, version);
      const dir = join(stagingDir, name);
      if (kept.has(dir)) continue;
      const touched = await lastTouched(dir).catch(() => undefined);
      if (touched === undefined || now - touched < olderThanMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}
