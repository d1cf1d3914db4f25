// The candidate image: how a verified artifact is described to Glance - hidden, private to
// the service project, tagged and carrying every property in the one create request.
// The catalogue's and the feed's properties come first and never carry a reserved name (the
// parsers refuse them; any that got here anyway are dropped); the fields imagecycle fixes
// come last and always win.
import {
  type Artifact,
  catalogueProperties,
  formatCatalogueKeys,
  formatChecksum,
  MANAGED_TAG,
  managedByTag,
  osTag,
  PROPERTY,
  type Release,
  reservedPropertyRule,
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
  const supplied = (properties: Readonly<Record<string, string | undefined>>) =>
    Object.fromEntries(
      Object.entries(properties).filter(
        (entry): entry is [string, string] =>
          entry[1] !== undefined && reservedPropertyRule(entry[0]) === undefined,
      ),
    );
  const fromRelease = supplied(release.properties);
  // the operating system as published: the feed's os_distro wins over the catalogue's
  const distro = fromRelease.os_distro ?? supplied(series.properties).os_distro;
  // the catalogue's properties this image takes (the feed's win), for the desired state to
  // keep up to date and to remove once the catalogue drops them
  const fromCatalogue = Object.keys(catalogueProperties(series.properties)).filter(
    (name) => !(name in fromRelease),
  );
  return {
    name: candidateName(series, release.version),
    disk_format: artifact.diskFormat,
    container_format: 'bare',
    visibility: 'private',
    os_hidden: true,
    min_disk: minDisk,
    min_ram: Math.max(series.minRam, Number(release.properties.min_ram ?? 0)),
    tags: [
      MANAGED_TAG,
      managedByTag(series.vendor),
      ...(distro !== undefined && distro !== '' ? [osTag(distro)] : []),
    ],
    properties: {
      ...supplied(series.properties),
      ...fromRelease,
      [PROPERTY.series]: series.id,
      [PROPERTY.version]: release.version,
      [PROPERTY.state]: 'candidate',
      [PROPERTY.upstreamChecksum]: formatChecksum(release.checksum),
      image_source: release.url,
      image_build_date: release.buildDate.slice(0, 10),
      image_description: `${series.title}, upstream version ${release.version}`,
      imagecycle_uploaded_at: now.toISOString(),
      [PROPERTY.catalogueKeys]: formatCatalogueKeys(fromCatalogue),
    },
  };
}
