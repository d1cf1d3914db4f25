// Feed documents as text: the one decoding every document goes through (indexes, products
// files, manifests, checksum lists, clearsigned files): strict UTF-8 (a stray byte or a UTF-16
// file is an error naming the byte offset, not mojibake), one size cap, and JSON parsing that
// reports where it broke.
import { FeedError } from './errors.ts';

/**
 * The largest feed document accepted, in bytes: one cap for every document of every feed
 * (the feed-watcher's fetcher uses it too). Ubuntu's server products file
 * (`com.ubuntu.cloud:released:download.json`) is the largest document any feed publishes:
 * tens of MB (every serial of every release, architecture and artifact kind, and it only
 * grows); the mirror's rendering of its real shape is about 30 MB. 64 MiB leaves it room to
 * double; what parsing a products file at the cap costs is measured by
 * `./dev bench products-parse` (README, Performance).
 */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Where the first invalid UTF-8 sequence starts, or -1 when there is none. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k += 1) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * A feed document's bytes as text. `feed` and `source` (the URL) go into every error;
 * a string (already decoded elsewhere) is held to the same cap.
 */
export function decodeDocument(feed: string, source: string, bytes: Uint8Array | string): string {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.byteLength;
  if (size > MAX_DOCUMENT_BYTES)
    throw new FeedError(
      feed,
      source,
      `document of ${size} bytes is larger than the ${MAX_DOCUMENT_BYTES}-byte cap`,
    );
  if (typeof bytes === 'string') return bytes.replace(/^\uFEFF/, '');
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new FeedError(
      feed,
      source,
      'document is UTF-16 (byte-order mark at byte 0), expected UTF-8',
    );
  }
  try {
    return fatal.decode(bytes);
  } catch {
    const at = invalidUtf8Offset(bytes);
    throw new FeedError(
      feed,
      source,
      `document is not valid UTF-8: invalid byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at byte offset ${at}`,
      `byte ${at}`,
    );
  }
}

export function parseJsonDocument(feed: string, source: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new FeedError(feed, source, `not valid JSON: ${(error as Error).message}`);
  }
}

/** A path of zod issue segments as `a.b[2].c`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return (
    path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`))
      .join('') || '(root)'
  );
}

export function resolveUrl(feed: string, source: string, relative: string, base: string): string {
  try {
    return new URL(relative, base).toString();
  } catch {
    throw new FeedError(feed, source, `cannot resolve URL "${relative}" against "${base}"`);
  }
}

export function dirnameUrl(url: string): string {
  return url.slice(0, url.lastIndexOf('/') + 1);
}
