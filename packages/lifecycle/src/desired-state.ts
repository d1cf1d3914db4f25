// What the managed images of one series should look like. Pure: images in, desired state out.
// Only active images that passed every check (verified, latest, community) are arranged:
//   newest verified release -> public, not hidden, the Latest name, state latest
//   every older one         -> community, its dated name, state community
// (the names are the catalogue's scheme's, from image-names.ts: "<Title> - Latest" and
// "<Title> - <YYYY-MM-DD of first upload>" by default). A second community image of the same
// day is "<dated name> #2", a third "#3". A name, once given, is kept: an image whose name is
// already its own dated name (and not another image's) keeps it, and a newly demoted image
// gets the next number after every number of its day still in use - so reaping the first
// image of a day or demoting a Latest never renames anything else.
// A community image of an os_purpose=generic series is published as os_purpose=oldgeneric,
// as SCS 0102 recommends for a replaced image that stays visible.
// Every arranged image also carries its series' catalogue properties (see
// `catalogueState`), so a catalogue change reaches the images already published.
import {
  catalogueProperties,
  formatCatalogueKeys,
  managedByTag,
  osTag,
  parseCatalogueKeys,
  PROPERTY,
} from '@imagecycle/contracts';
import { datedStem, latestName, numbered, numberIn } from './image-names.ts';
import { compareVersions } from './version-order.ts';
import { type DesiredImage, type GlanceImage, imageProperty } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';

/**
 * States of images the renamer arranges. Never `candidate`: an image still being uploaded or
 * checked (hash, smoke test) may yet fail and be deleted, so only what the uploader marked
 * `verified` is promotable. `retiring` belongs to the reaper.
 */
const ARRANGED: ReadonlySet<string> = new Set(['verified', 'latest', 'community']);

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

type Arranging = Pick<Series, 'id' | 'title' | 'retired' | 'communityHidden' | 'properties'> &
  Partial<Pick<Series, 'naming' | 'vendor'>>;

/**
 * The catalogue's part of an image's desired properties. The catalogue owns a property on an
 * image when it applied it last time (`imagecycle_catalogue_keys` lists it), or when the image
 * does not have it at all (a property new in the catalogue); a property the image has from
 * elsewhere - the feed's build manifest, which wins over the catalogue at upload, or an
 * operator - is left alone. An owned property takes the catalogue's value; a listed one the
 * catalogue no longer has is removed; nothing unlisted is ever removed. The list is rewritten
 * to what the catalogue owns now. An image uploaded before the list existed has every
 * catalogue property set (nothing can be known to be removed from it).
 */
export function catalogueState(
  series: Pick<Series, 'properties'>,
  image: GlanceImage,
): Record<string, string | null> {
  const wanted = catalogueProperties(series.properties);
  const applied = parseCatalogueKeys(imageProperty(image, PROPERTY.catalogueKeys));
  const desired: Record<string, string | null> = {};
  const owned: string[] = [];
  for (const [name, value] of Object.entries(wanted)) {
    if (applied === undefined || applied.includes(name) || image[name] === undefined) {
      desired[name] = value;
      owned.push(name);
    }
  }
  for (const name of applied ?? []) if (!(name in wanted)) desired[name] = null;
  desired[PROPERTY.catalogueKeys] = formatCatalogueKeys(owned);
  return desired;
}

export function desiredState(series: Arranging, images: GlanceImage[]): DesiredEntry[] {
  const scheme = series.naming ?? 'default';
  const stemOf = (image: GlanceImage) => datedStem(series.title, image, scheme);
  // SCS 0102's tags, managed_by_<vendor> and os:<os_distro> (the one the image will carry):
  // added to images published before either was written
  const tagsOf = (image: GlanceImage, properties: Record<string, string | null>) => {
    const distro =
      properties.os_distro !== undefined ? properties.os_distro : imageProperty(image, 'os_distro');
    const tags = [
      ...(series.vendor !== undefined ? [managedByTag(series.vendor)] : []),
      ...(distro ? [osTag(distro)] : []),
    ];
    return tags.length > 0 ? { tags } : {};
  };
  const ours = images
    .filter((image) => imageProperty(image, PROPERTY.series) === series.id)
    .filter((image) => ARRANGED.has(imageProperty(image, PROPERTY.state) ?? ''));
  const arranged = ours.filter((image) => image.status === 'active').sort(newestFirst);
  // A Latest or community image an operator deactivated stays deactivated, but never keeps
  // the Latest role (a boot by name would find it and fail): it is named as community.
  const benched = ours.filter(
    (image) =>
      image.status === 'deactivated' && imageProperty(image, PROPERTY.state) !== 'verified',
  );
  const [newest, ...older] = arranged;
  const latest = newest && !series.retired ? newest : undefined;
  const community = [...(latest ? older : arranged), ...benched].sort(byUpload);

  const entries: DesiredEntry[] = [];
  if (latest) {
    const latestProperties = catalogueState(series, latest);
    entries.push({
      image: latest,
      role: 'latest',
      desired: {
        name: latestName(series.title, scheme),
        visibility: 'public',
        os_hidden: false,
        properties: { ...latestProperties, [PROPERTY.state]: 'latest' },
        ...tagsOf(latest, latestProperties),
      },
    });
  }
  // First the images that already carry a dated name of their own day keep it...
  const taken = new Set<string>();
  const highest = new Map<string, number>();
  const kept = new Map<GlanceImage, string>();
  for (const image of community) {
    const stem = stemOf(image);
    const number = numberIn(stem, image.name ?? '');
    if (number === undefined || taken.has(image.name ?? '')) continue;
    kept.set(image, image.name ?? '');
    taken.add(image.name ?? '');
    highest.set(stem, Math.max(highest.get(stem) ?? 0, number));
  }
  // ...then the others are numbered after them, in upload order.
  for (const image of community) {
    let name = kept.get(image);
    if (name === undefined) {
      const stem = stemOf(image);
      const number = (highest.get(stem) ?? 0) + 1;
      highest.set(stem, number);
      name = numbered(stem, number);
    }
    const properties = catalogueState(series, image);
    if (properties.os_purpose === 'generic') properties.os_purpose = 'oldgeneric';
    entries.push({
      image,
      role: 'community',
      desired: {
        name,
        visibility: 'community',
        os_hidden: series.communityHidden,
        properties: { ...properties, [PROPERTY.state]: 'community' },
        ...tagsOf(image, properties),
      },
    });
  }
  return entries;
}
