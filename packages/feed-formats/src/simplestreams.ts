// Ubuntu's simplestreams (server and Minimal): index.json points at the products file;
// a product's `versions` are keyed by serial, NOT in order in the real file; the cloud
// disk is the item with ftype disk1.img. The checksum list that is signed (SHA256SUMS +
// SHA256SUMS.gpg) sits in the release's dated directory.
import { z } from 'zod';
import { FeedError } from './errors.ts';
import { dirnameUrl, issuePath, parseJsonDocument, resolveUrl } from './text.ts';
import type { ParsedRelease } from './types.ts';
import { compareVersions } from '@imagecycle/lifecycle';

const FEED = 'simplestreams';

const indexSchema = z.object({
  format: z.literal('index:1.0'),
  index: z.record(
    z.string(),
    z.object({ datatype: z.string(), format: z.string(), path: z.string().min(1) }),
  ),
});

/** The URL of the image-downloads products file an index points at. */
export function parseSimplestreamsIndex(text: string, indexUrl: string): string {
  const parsed = indexSchema.safeParse(parseJsonDocument(FEED, indexUrl, text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeedError(FEED, indexUrl, issue?.message ?? 'invalid', issuePath(issue?.path ?? []));
  }
  const entry = Object.values(parsed.data.index).find(
    (e) => e.datatype === 'image-downloads' && e.format === 'products:1.0',
  );
  if (!entry) throw new FeedError(FEED, indexUrl, 'no image-downloads products entry in the index');
  // Paths in an index are relative to the directory above streams/ (the mirror root).
  const root = indexUrl.replace(/streams\/v1\/[^/]*$/, '');
  return resolveUrl(FEED, indexUrl, entry.path, root);
}

const itemSchema = z.object({
  ftype: z.string(),
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'sha256 must be 64 hex digits'),
  size: z.number().int().positive().optional(),
});
const productsSchema = z.object({
  format: z.literal('products:1.0'),
  products: z.record(
    z.string(),
    z.object({
      versions: z.record(z.string(), z.object({ items: z.record(z.string(), z.unknown()) })),
    }),
  ),
});

const SERIAL = /^(\d{4})(\d{2})(\d{2})(?:\.(\d+))?$/;

export interface SimplestreamsOptions {
  productsUrl: string;
  productId: string;
  /** The root that item paths are relative to (`.../releases/` or `.../minimal/releases/`). */
  releasesUrl: string;
  ftype?: string;
}

export function parseSimplestreamsProducts(
  text: string,
  options: SimplestreamsOptions,
): ParsedRelease[] {
  const source = options.productsUrl;
  const parsed = productsSchema.safeParse(parseJsonDocument(FEED, source, text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeedError(FEED, source, issue?.message ?? 'invalid', issuePath(issue?.path ?? []));
  }
  const product = parsed.data.products[options.productId];
  if (!product) throw new FeedError(FEED, source, `no product "${options.productId}"`);
  const ftype = options.ftype ?? 'disk1.img';
  const base = options.releasesUrl.endsWith('/') ? options.releasesUrl : `${options.releasesUrl}/`;

  const releases: ParsedRelease[] = [];
  for (const [serial, version] of Object.entries(product.versions)) {
    const where = `products.${options.productId}.versions.${serial}`;
    const date = SERIAL.exec(serial);
    if (!date)
      throw new FeedError(
        FEED,
        source,
        `version key "${serial}" is not a serial (YYYYMMDD[.N])`,
        where,
      );
    const raw = Object.values(version.items).find(
      (item) => (item as { ftype?: unknown }).ftype === ftype,
    );
    if (raw === undefined) continue; // a version without the cloud disk (e.g. only a tarball)
    const item = itemSchema.safeParse(raw);
    if (!item.success) {
      const issue = item.error.issues[0];
      throw new FeedError(
        FEED,
        source,
        issue?.message ?? 'invalid item',
        `${where}.items.${issuePath(issue?.path ?? [])}`,
      );
    }
    const url = resolveUrl(FEED, source, item.data.path, base);
    const dir = dirnameUrl(url);
    releases.push({
      version: serial,
      buildDate: `${date[1]}-${date[2]}-${date[3]}`,
      url,
      diskFormat: 'qcow2',
      compression: 'none',
      checksum: { algorithm: 'sha256', value: item.data.sha256.toLowerCase() },
      ...(item.data.size ? { size: item.data.size } : {}),
      properties: {},
      signatureRef: {
        kind: 'detached',
        signedUrl: `${dir}SHA256SUMS`,
        signatureUrl: `${dir}SHA256SUMS.gpg`,
      },
    });
  }
  if (releases.length === 0)
    throw new FeedError(FEED, source, `product "${options.productId}" has no ${ftype} item`);
  return releases.sort((a, b) => compareVersions(b.version, a.version));
}
