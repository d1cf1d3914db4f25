// Where a release's bytes live in staging. Names come from series and version only - never
// from upstream strings - so nothing an upstream publishes can choose a path.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const safe = (part: string) => part.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';

export interface StagingPaths {
  dir: string;
  /** The download as it arrives (compressed, when the release is). */
  part: string;
  /** The decompressed, verified disk image. */
  disk: string;
  /** Written last: the artifact, as JSON, once everything was verified. */
  marker: string;
}

export function stagingPaths(stagingDir: string, series: string, version: string): StagingPaths {
  const dir = join(stagingDir, safe(series), safe(version));
  return {
    dir,
    part: join(dir, 'download.part'),
    disk: join(dir, 'disk.img'),
    marker: join(dir, 'verified.json'),
  };
}

export async function ensureDir(paths: StagingPaths): Promise<void> {
  await mkdir(paths.dir, { recursive: true });
}

/**
 * Removes abandoned artifacts: every series/version directory not in `keep` and untouched
 * for longer than `olderThanMs`. Returns what it removed.
 */
export async function cleanStaging(
  stagingDir: string,
  keep: ReadonlySet<string>,
  olderThanMs: number,
  now = Date.now(),
): Promise<string[]> {
  const removed: string[] = [];
  for (const series of await readdir(stagingDir).catch(() => [] as string[])) {
    for (const version of await readdir(join(stagingDir, series)).catch(() => [] as string[])) {
      const dir = join(stagingDir, series, version);
      if (keep.has(`${series}/${version}`)) continue;
      const info = await stat(dir);
      if (now - info.mtimeMs < olderThanMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push(`${series}/${version}`);
    }
  }
  return removed;
}
