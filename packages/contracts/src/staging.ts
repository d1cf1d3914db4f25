// Staging, as the downloader leaves it and the uploader reads it: one directory per release,
// named from its series and version by a lossless encoding (two releases never share one,
// and no name can leave the staging directory), and the marker the downloader writes last.
// The marker is the only proof that bytes were verified: it names the release's upstream
// checksum they were verified against, so bytes of another release - a respin of the same
// version, or a job that points elsewhere - are never taken for this one.
import { join } from 'node:path';
import { encodeKey } from '@imagecycle/queues';
import { z } from 'zod';
import { artifactSchema } from './queues.ts';
import { formatChecksum, type Release } from './release.ts';

export interface StagingPaths {
  /** `<staging>/<series>/<version>`, each encoded with `encodeKey`. */
  dir: string;
  /** The download as it arrives (compressed, when the release is). */
  part: string;
  /** The decompressed, verified disk image. */
  disk: string;
  /** Written last: the staging marker, once everything was verified. */
  marker: string;
  /**
   * How far the file being staged is durably written (`StagingWritten`): what an overlapped
   * upload may send before the marker is there.
   */
  written: string;
}

export function stagingPaths(stagingDir: string, series: string, version: string): StagingPaths {
  const dir = join(stagingDir, encodeKey(series), encodeKey(version));
  return {
    dir,
    part: join(dir, 'download.part'),
    disk: join(dir, 'disk.img'),
    marker: join(dir, 'verified.json'),
    written: join(dir, 'written.json'),
  };
}

export const stagingMarkerSchema = z.object({
  series: z.string().min(1),
  version: z.string().min(1),
  /** The release's upstream checksum (`algo:hex`) the downloaded bytes matched. */
  upstreamChecksum: z.string().regex(/^(sha256|sha512):[0-9a-f]+$/),
  /** The verified disk image: its path, size, digests, format and virtual size. */
  artifact: artifactSchema,
});
export type StagingMarker = z.infer<typeof stagingMarkerSchema>;

/** The marker of `artifact`, verified as the bytes of `release`. */
export function stagingMarker(
  release: Pick<Release, 'series' | 'version' | 'checksum'>,
  artifact: StagingMarker['artifact'],
): StagingMarker {
  return {
    series: release.series,
    version: release.version,
    upstreamChecksum: formatChecksum(release.checksum),
    artifact,
  };
}

/** Whether a marker is this release's: same series, version and upstream checksum. */
export function markerFits(
  marker: StagingMarker,
  release: Pick<Release, 'series' | 'version' | 'checksum'>,
): boolean {
  return (
    marker.series === release.series &&
    marker.version === release.version &&
    marker.upstreamChecksum === formatChecksum(release.checksum)
  );
}

/**
 * The downloader's word on the file it is writing, for an upload that overlaps the download:
 * `bytes` of `file` (a name in the release's directory) reached the disk (fdatasync) before
 * this was written. `epoch` names one incarnation of the file: it changes whenever the file
 * is started again from zero (a new file, never the old one truncated), so bytes sent from an
 * earlier incarnation are never taken for the current one. `complete`: the file is whole (its
 * checksum matched; it is not yet verified - only the marker says that).
 */
export const stagingWrittenSchema = z.strictObject({
  file: z.enum(['download.part', 'disk.img']),
  epoch: z.string().regex(/^[0-9a-f]{32}$/),
  bytes: z.number().int().nonnegative(),
  complete: z.boolean(),
});
export type StagingWritten = z.infer<typeof stagingWrittenSchema>;

/**
 * `written.json`'s text as its readers take it: undefined when there is none (not yet, or
 * gone with the staging directory) or it is not one (a half-written file is never taken).
 */
export function parseStagingWritten(text: string | undefined): StagingWritten | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = stagingWrittenSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
