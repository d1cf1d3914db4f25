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
}

export function stagingPaths(stagingDir: string, series: string, version: string): StagingPaths {
  const dir = join(stagingDir, encodeKey(series), encodeKey(version));
  return {
    dir,
    part: join(dir, 'download.part'),
    disk: join(dir, 'disk.img'),
    marker: join(dir, 'verified.json'),
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
