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

// Only what is read is validated: the index entry that names the product, that one
// product's versions and each version's disk item. Everything else in a real stream (other
// content ids and datatypes, every other release and architecture, other item kinds such as
// lxd.tar.xz with combined_* hashes, squashfs, vmdk, ova, manifests, fields added later) is
// tolerated unread.
const indexSchema = z.object({
  format: z.literal('index:1.0'),
  index: z.record(z.string(), z.unknown()),
});
const indexEntrySchema = z.object({
  datatype: z.string(),
  format: z.string(),
  path: z.string().min(1),
  products: z.array(z.string()).optional(),
});

function fail(source: string, error: z.ZodError, prefix = ''): never {
  const issue = error.issues[0];
  const path = issuePath(issue?.path ?? []);
  throw new FeedError(
    FEED,
    source,
    issue?.message ?? 'invalid',
    prefix ? (path === '(root)' ? prefix : `${prefix}.${path}`) : path,
  );
}

/**
 * The URL of the image-downloads products file an index points at: the entry whose
 * `products` lists `productId` (a real index also holds image-ids entries for clouds, which
 * are skipped unread), else the only image-downloads entry there is.
 */
export function parseSimplestreamsIndex(
  text: string,
  indexUrl: string,
  productId?: string,
): string {
  const parsed = indexSchema.safeParse(parseJsonDocument(FEED, indexUrl, text));
  if (!parsed.success) fail(indexUrl, parsed.error);
  const downloads = Object.entries(parsed.data.index).filter(([, raw]) => {
    const r = raw as { datatype?: unknown; format?: unknown } | null;
    return r?.datatype === 'image-downloads' && r.format === 'products:1.0';
  });
  const lists = (raw: unknown) =>
    productId !== undefined &&
    Array.isArray((raw as { products?: unknown }).products) &&
    (raw as { products: unknown[] }).products.includes(productId);
  const picked =
    downloads.find(([, raw]) => lists(raw)) ?? (downloads.length === 1 ? downloads[0] : undefined);
  if (!picked)
    throw new FeedError(
      FEED,
      indexUrl,
      downloads.length === 0
        ? 'no image-downloads products entry in the index'
        : `${downloads.length} image-downloads products entries and none lists "${productId ?? '(no product given)'}"`,
    );
  const [contentId, raw] = picked;
  const entry = indexEntrySchema.safeParse(raw);
  if (!entry.success) fail(indexUrl, entry.error, `index.${contentId}`);
  // Paths in an index are relative to the directory above streams/ (the mirror root).
  const root = indexUrl.replace(/streams\/v1\/[^/]*$/, '');
  return resolveUrl(FEED, indexUrl, entry.data.path, root);
}

const itemSchema = z.object({
  ftype: z.string(),
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'sha256 must be 64 hex digits'),
  size: z.number().int().positive().optional(),
});
const productsSchema = z.object({
  format: z.literal('products:1.0'),
  products: z.record(z.string(), z.unknown()),
});
const productSchema = z.object({
  versions: z.record(z.string(), z.object({ items: z.record(z.string(), z.unknown()) })),
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
  if (!parsed.success) fail(source, parsed.error);
  const raw = parsed.data.products[options.productId];
  if (raw === undefined) throw new FeedError(FEED, source, `no product "${options.productId}"`);
  const productWhere = `products.${options.productId}`;
  const product = productSchema.safeParse(raw);
  if (!product.success) fail(source, product.error, productWhere);
  const ftype = options.ftype ?? 'disk1.img';
  const base = options.releasesUrl.endsWith('/') ? options.releasesUrl : `${options.releasesUrl}/`;

  const releases: ParsedRelease[] = [];
  for (const [serial, version] of Object.entries(product.data.versions)) {
    const where = `${productWhere}.versions.${serial}`;
    const date = SERIAL.exec(serial);
    if (!date)
      throw new FeedError(
        FEED,
        source,
        `version key "${serial}" is not a serial (YYYYMMDD[.N])`,
        where,
      );
    // The disk is the item of that ftype; when several carry it, the one keyed by it.
    const candidates = Object.entries(version.items).filter(
      ([, item]) => (item as { ftype?: unknown } | null)?.ftype === ftype,
    );
    if (candidates.length === 0) continue; // a version without the cloud disk (e.g. only a tarball)
    const picked =
      candidates.length === 1 ? candidates[0] : candidates.find(([key]) => key === ftype);
    if (!picked)
      throw new FeedError(
        FEED,
        source,
        `${candidates.length} items have ftype ${ftype} (${candidates.map(([k]) => k).join(', ')}) and none is keyed "${ftype}"`,
        `${where}.items`,
      );
    const [key, rawItem] = picked;
    const item = itemSchema.safeParse(rawItem);
    if (!item.success) fail(source, item.error, `${where}.items.${key}`);
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
