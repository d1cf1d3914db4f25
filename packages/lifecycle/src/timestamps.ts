// Dates read from images (Glance's created_at, the usage records imagecycle writes), read
// strictly: an ISO 8601 date, or a date and time with its offset - the forms Glance and
// imagecycle write. Anything else is not a date: empty, garbage, a local time, a rolled-over
// day (2026-02-30), or what V8's lenient parser would still read ("foo 2" is 2001-02-01).
// A rule that compares dates keeps the image when one is not a date: an unreadable date
// must never make a grace period or the minimum age look over.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** Milliseconds since the epoch, or undefined when `value` is not a date. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = ISO_8601.exec(value);
  if (!match) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) return undefined;
  const [year, month, day] = match.slice(1, 4).map(Number) as [number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (days === undefined || day < 1 || day > days) return undefined;
  return time;
}

/** The reason an image is kept when one of its dates is not a date, naming both. */
export function notADate(property: string, value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return `${property} is not a date: '${text.length > 64 ? `${text.slice(0, 64)}...` : text}'`;
}
