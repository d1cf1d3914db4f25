// Which URLs a series may be read from: https always; plain http only from the origins of
// the feed's own URLs, and only when the feed opts in (insecureHttp, with a reason) - a
// named mirror such as the local test mirror. A document can therefore never move a series
// onto plain http, nor onto another http host than the mirror the catalogue names.
import { FEED_URL_KEYS } from './schema.ts';
import type { Series } from './types.ts';

/** The origins of the feed's own URLs (what the catalogue wrote). */
export function feedOrigins(series: Series): string[] {
  const feed = series.feed as unknown as Record<string, unknown>;
  const origins = new Set<string>();
  for (const key of FEED_URL_KEYS) {
    const value = feed[key];
    if (typeof value !== 'string') continue;
    try {
      origins.add(new URL(value).origin);
    } catch {
      // validated as a URL already
    }
  }
  return [...origins];
}

/** Why `url` may not be fetched for the series, or undefined when it may. */
export function urlRefusal(series: Series, url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${url} is not an absolute URL`;
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol !== 'http:') return `${url}: only https URLs are fetched`;
  if (!series.feed.insecureHttp)
    return `${url} is plain http: feed URLs must be https (the feed has no insecureHttp opt-in)`;
  if (!feedOrigins(series).includes(parsed.origin))
    return `${url} is plain http on ${parsed.origin}, which is not the mirror the catalogue names for this feed (insecureHttp allows only ${feedOrigins(series).join(', ')})`;
  return undefined;
}
