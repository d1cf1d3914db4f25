// The candidate image: how a verified artifact is described to Glance - hidden, private to
// the service project, tagged and carrying every property in the one create request.
import {
  type Artifact,
  formatChecksum,
  MANAGED_TAG,
  PROPERTY,
  type Release,
} from '@imagecycle/contracts';
import type { NewImage } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';

export type { Artifact };

const GiB = 1024 ** 3;

export function candidateName(series: Series, version: string): string {
  return `${series.title} - ${version} (candidate)`;
}

export function candidateImage(
  series: Series,
  release: Release,
  artifact: Artifact,
  now: Date,
): NewImage {
  const minDisk = Math.max(series.minDisk, Math.ceil(artifact.virtualSize / GiB));
  const { min_disk: _d, min_ram: _r, ...releaseProperties } = release.properties;
  return {
    name: candidateName(series, release.version),
    disk_format: artifact.diskFormat,
    container_format: 'bare',
    visibility: 'private',
    os_hidden: true,
    min_disk: minDisk,
    min_ram: Math.max(series.minRam, Number(release.properties.min_ram ?? 0)),
    tags: [MANAGED_TAG],
    properties: {
      ...series.properties,
      ...releaseProperties,
      [PROPERTY.series]: series.id,
      [PROPERTY.version]: release.version,
      [PROPERTY.state]: 'candidate',
      [PROPERTY.upstreamChecksum]: formatChecksum(release.checksum),
      image_source: release.url,
      image_build_date: release.buildDate.slice(0, 10),
      image_description: `${series.title}, upstream version ${release.version}`,
      imagecycle_uploaded_at: now.toISOString(),
    },
  };
}
