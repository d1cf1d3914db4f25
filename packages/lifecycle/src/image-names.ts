// The names users find images by: the one place that decides them. The catalogue picks the
// scheme:
//   default  the Latest is "<Title> - Latest"; an older image "<Title> - <YYYY-MM-DD>", the
//            day of its first upload (Glance's created_at)
//   scs      the Latest is "<Title>" (SCS 0102/0104: "Distribution Version"); an older image
//            "<Title> <YYYYMMDD>", the day of its build (image_build_date), as SCS 0102 asks
//            of renamed old images
// A second older image of the same series and day gets a stable suffix ("#2", "#3"), in
// upload order.
import type { NamingScheme } from '@imagecycle/series-catalogue';

export type { NamingScheme };

export function latestName(title: string, scheme: NamingScheme = 'default'): string {
  return scheme === 'scs' ? title : `${title} - Latest`;
}

/** `createdAt` is Glance's created_at of the image (its first upload), an ISO timestamp. */
export function communityName(title: string, createdAt: string, sameDayIndex = 1): string {
  return numbered(`${title} - ${isoDay(createdAt)}`, sameDayIndex);
}

/** What an older image's dated name is made of. */
export interface DatedImage {
  /** Glance's created_at (ISO timestamp) */
  readonly created_at: string;
  /** the image's image_build_date (YYYY-MM-DD[ hh:mm[:ss]]), when it has one */
  readonly image_build_date?: unknown;
}

/**
 * The dated name of an older image without its same-day number: the day of its first upload
 * (default) or of its build (scs; the upload day when the image has no readable build date).
 */
export function datedStem(title: string, image: DatedImage, scheme: NamingScheme): string {
  if (scheme === 'default') return `${title} - ${isoDay(image.created_at)}`;
  const built = typeof image.image_build_date === 'string' ? image.image_build_date : '';
  const day = /^\d{4}-\d{2}-\d{2}/.test(built) ? built.slice(0, 10) : isoDay(image.created_at);
  return `${title} ${day.replaceAll('-', '')}`;
}

/** The stem with its same-day number (nothing for the first). */
export function numbered(stem: string, sameDayIndex: number): string {
  return sameDayIndex > 1 ? `${stem} #${sameDayIndex}` : stem;
}

/** The same-day number a name carries for this stem: 1 for the stem itself, n for "#n". */
export function numberIn(stem: string, name: string): number | undefined {
  if (name === stem) return 1;
  if (!name.startsWith(`${stem} #`)) return undefined;
  const match = /^[1-9]\d*$/.exec(name.slice(stem.length + 2));
  return match ? Number(match[0]) : undefined;
}

function isoDay(timestamp: string): string {
  const day = timestamp.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not an ISO date: "${timestamp}"`);
  return day;
}
