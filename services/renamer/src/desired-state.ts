// What the managed images of one series should look like. Pure: images in, desired state out.
//   newest verified release -> public, not hidden, "<Title> - Latest", state latest
//   every older one         -> community, "<Title> - <YYYY-MM-DD of first upload>", state community
// A second community image first uploaded on the same UTC day is "<Title> - <day> #2", a third
// "#3", in order of upload (created_at, then id): an image's suffix never changes once given,
// because images uploaded later only ever get higher numbers.
import { communityName, compareVersions, latestName, PROPERTY } from '@imagecycle/contracts';
import { type DesiredImage, type GlanceImage, imageProperty } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';

/** States of images the renamer arranges; `retiring` belongs to the reaper. */
const ARRANGED = new Set(['candidate', 'latest', 'community']);

export type Role = 'latest' | 'community';

export interface DesiredEntry {
  image: GlanceImage;
  role: Role;
  desired: DesiredImage;
}

/** Newest release first: by version, then by first upload. */
function newestFirst(a: GlanceImage, b: GlanceImage): number {
  const va = imageProperty(a, PROPERTY.version) ?? '';
  const vb = imageProperty(b, PROPERTY.version) ?? '';
  return (
    compareVersions(vb, va) || b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id)
  );
}

const byUpload = (a: GlanceImage, b: GlanceImage) =>
  a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);

export function desiredState(
  series: Pick<Series, 'id' | 'title' | 'retired' | 'communityHidden' | 'properties'>,
  images: GlanceImage[],
): DesiredEntry[] {
  const arranged = images
    .filter((image) => image.status === 'active')
    .filter((image) => imageProperty(image, PROPERTY.series) === series.id)
    .filter((image) => ARRANGED.has(imageProperty(image, PROPERTY.state) ?? ''))
    .sort(newestFirst);
  const [newest, ...older] = arranged;
  const latest = newest && !series.retired ? newest : undefined;
  const community = (latest ? older : arranged).slice().sort(byUpload);

  const sameDay = new Map<string, number>();
  const purpose = series.properties.os_purpose;
  const entries: DesiredEntry[] = [];
  if (latest) {
    entries.push({
      image: latest,
      role: 'latest',
      desired: {
        name: latestName(series.title),
        visibility: 'public',
        os_hidden: false,
        properties: { [PROPERTY.state]: 'latest', ...(purpose ? { os_purpose: purpose } : {}) },
      },
    });
  }
  for (const image of community) {
    const day = image.created_at.slice(0, 10);
    const index = (sameDay.get(day) ?? 0) + 1;
    sameDay.set(day, index);
    entries.push({
      image,
      role: 'community',
      desired: {
        name: communityName(series.title, image.created_at, index),
        visibility: 'community',
        os_hidden: series.communityHidden,
        properties: { [PROPERTY.state]: 'community', ...(purpose ? { os_purpose: purpose } : {}) },
      },
    });
  }
  return entries;
}
