// The SCS 0102 v2 conformance check the e2e runs end with: the images read back from Glance,
// judged by the same rules `imagecycle validate` applies to a catalogue
// (@imagecycle/contracts scs-image-metadata), plus what only a published image can show: the
// names of the catalogue's scheme, and, given the run's "now", the recency rules
// (replace_frequency, provided_until). Returns one line per violation; none means conforming.
import {
  genericUniquenessViolations,
  MANAGED_TAG,
  PROPERTY,
  scsImageFindings,
  scsRecencyFindings,
} from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { datedStem, latestName, numberIn } from '@imagecycle/lifecycle';
import type { GlanceClient, GlanceImage } from '@imagecycle/openstack';
import type { Catalogue } from '@imagecycle/series-catalogue';

export interface ConformanceInput {
  catalogue: Catalogue;
  /** the service's client and project: the images imagecycle published */
  service: GlanceClient;
  owner: string;
  /** a tenant's client: the public images a user searches, for the uniqueness rule */
  tenant: GlanceClient;
  /**
   * The run's "now" on the clock its images' build dates follow (the mirror's days), for the
   * recency rules; without it they are not judged (the real clock would find a simulated
   * day's builds outdated).
   */
  now?: Date;
}

export interface ConformanceReport {
  /** every managed image judged, by series */
  judged: Map<string, GlanceImage[]>;
  violations: string[];
}

export async function scsConformance(input: ConformanceInput): Promise<ConformanceReport> {
  const { catalogue } = input;
  const violations: string[] = [];
  const judged = new Map<string, GlanceImage[]>();
  for (const series of catalogue.series) {
    const images = (
      await listManagedImages(input.service, { owner: input.owner, series: series.id })
    ).filter((image) => ['latest', 'community'].includes(String(image[PROPERTY.state])));
    judged.set(series.id, images);
    for (const image of images) {
      const where = `${series.id} ${image.id} "${image.name ?? ''}"`;
      for (const finding of scsImageFindings(image, series.vendor))
        violations.push(`${where}: ${finding.property}: ${finding.message}`);
      if (!image.tags.includes(MANAGED_TAG)) violations.push(`${where}: not tagged ${MANAGED_TAG}`);
      // the catalogue's naming scheme
      const state = image[PROPERTY.state];
      const latest = latestName(series.title, catalogue.naming);
      if (state === 'latest' && image.name !== latest)
        violations.push(`${where}: the Latest must be named "${latest}"`);
      if (state === 'community') {
        const stem = datedStem(series.title, image, catalogue.naming);
        if (numberIn(stem, image.name ?? '') === undefined)
          violations.push(`${where}: an older image must be named "${stem}" (or "${stem} #n")`);
        if (series.properties.os_purpose === 'generic' && image.os_purpose !== 'oldgeneric')
          violations.push(`${where}: a replaced generic image must be os_purpose oldgeneric`);
      }
    }
  }
  // recency, over every image judged: the newest under each name must not be outdated, and
  // an outdated older one needs the successor the SCS conformance test looks for
  if (input.now !== undefined)
    for (const { image, property, message } of scsRecencyFindings(
      [...judged.values()].flat(),
      input.now,
    ))
      violations.push(
        `${String(image[PROPERTY.series])} ${image.id} "${image.name ?? ''}": ${property}: ${message}`,
      );
  // uniqueness, over what a user searching public images sees (anyone's, not only ours)
  const visible = await input.tenant.listAllImages({ visibility: 'public' });
  for (const { key, images } of genericUniquenessViolations(visible))
    violations.push(
      `os_purpose=generic not unique for ${key}: ${images.map((i) => `${i.id} "${i.name ?? ''}"`).join(', ')}`,
    );
  // names unique among the images a user finds by name
  const names = new Map<string, string[]>();
  for (const image of visible.filter((i) => !i.os_hidden))
    names.set(image.name ?? '', [...(names.get(image.name ?? '') ?? []), image.id]);
  for (const images of judged.values())
    for (const image of images.filter((i) => i.visibility === 'public')) {
      const same = names.get(image.name ?? '') ?? [];
      if (same.length !== 1)
        violations.push(`name "${image.name ?? ''}" is carried by ${same.length} public images`);
    }
  return { judged, violations };
}
