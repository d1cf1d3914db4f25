// Feed documents as text: strict UTF-8 (a stray byte or a UTF-16 file is an error, not
// mojibake), a size cap, and JSON parsing that reports where it broke.
import { FeedError } from './errors.ts';

export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

export function decodeDocument(feed: string, source: string, bytes: Uint8Array | string): string {
  if (typeof bytes === 'string') {
    if (bytes.length > MAX_DOCUMENT_BYTES)
      throw new FeedError(feed, source, `document larger than ${MAX_DOCUMENT_BYTES} bytes`);
    return bytes.replace(/^\uFEFF/, '');
  }
  if (bytes.byteLength > MAX_DOCUMENT_BYTES)
    throw new FeedError(feed, source, `document larger than ${MAX_DOCUMENT_BYTES} bytes`);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new FeedError(feed, source, 'document is UTF-16, expected UTF-8');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new FeedError(feed, source, 'document is not valid UTF-8');
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
