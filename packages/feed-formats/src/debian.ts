// Debian's cloud images: dated build directories `YYYYMMDD-NNNN/` (never the `latest/`
// link), a JSON manifest per build (a `List` of Build and Upload items; the digest is
// `sha512:` + base64 without padding), and SHA512SUMS to cross-check it. No signature.
import { z } from 'zod';
import { FeedError } from './errors.ts';
import { issuePath, parseJsonDocument } from './text.ts';
import type { ParsedRelease } from './types.ts';

const FEED = 'debian';
const BUILD_DIR = /^(\d{8})-(\d+)\/$/;

/** Dated build directories of a listing, newest first by (date, build counter). */
export function parseDirectoryListing(html: string, listingUrl: string): string[] {
  const base = listingUrl.endsWith('/') ? listingUrl : `${listingUrl}/`;
  const dirs = new Set<string>();
  for (const match of html.matchAll(/href="([^"]+)"/g)) {
    const href = (match[1] ?? '').replace(/^\.\//, '');
    if (BUILD_DIR.test(href)) dirs.add(href);
  }
  if (dirs.size === 0)
    throw new FeedError(
      FEED,
      listingUrl,
      'no dated build directory (YYYYMMDD-NNNN/) in the listing',
    );
  const key = (dir: string) => {
    const m = BUILD_DIR.exec(dir);
    return [Number(m?.[1]), Number(m?.[2])] as const;
  };
  return [...dirs]
    .sort((a, b) => {
      const [ad, an] = key(a);
      const [bd, bn] = key(b);
      return bd - ad || bn - an;
    })
    .map((dir) => new URL(dir, base).toString());
}

const manifestSchema = z.object({
  kind: z.literal('List'),
  items: z.array(
    z.looseObject({
      kind: z.string(),
      metadata: z
        .looseObject({
          labels: z.record(z.string(), z.string()).optional(),
          annotations: z.record(z.string(), z.string()).optional(),
        })
        .optional(),
      data: z.looseObject({
        ref: z.string().optional(),
        info: z.looseObject({ version: z.string().optional() }).optional(),
      }),
    }),
  ),
});

export interface DebianOptions {
  manifestUrl: string;
  /** `.../images/cloud/`: Upload refs are relative to it. */
  imagesRoot: string;
  format?: 'qcow2' | 'raw';
}

export function parseDebianManifest(text: string, options: DebianOptions): ParsedRelease {
  const source = options.manifestUrl;
  const parsed = manifestSchema.safeParse(parseJsonDocument(FEED, source, text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeedError(FEED, source, issue?.message ?? 'invalid', issuePath(issue?.path ?? []));
  }
  const build = parsed.data.items.find((item) => item.kind === 'Build');
  const version = build?.data.info?.version;
  if (!version) throw new FeedError(FEED, source, 'no Build item with data.info.version');
  const format = options.format ?? 'qcow2';
  const upload = parsed.data.items.find(
    (item) =>
      item.kind === 'Upload' &&
      item.metadata?.labels?.['upload.cloud.debian.org/image-format'] === format,
  );
  if (!upload?.data.ref) throw new FeedError(FEED, source, `no Upload item of format ${format}`);
  const digest = upload.metadata?.annotations?.['cloud.debian.org/digest'];
  if (!digest?.startsWith('sha512:'))
    throw new FeedError(FEED, source, 'Upload item has no sha512 digest annotation');
  const base64 = digest.slice('sha512:'.length);
  if (!/^[A-Za-z0-9+/]{86}$/.test(base64))
    throw new FeedError(FEED, source, `digest "${digest}" is not unpadded base64 of 64 bytes`);
  const value = Buffer.from(base64, 'base64').toString('hex');
  const date = /^(\d{4})(\d{2})(\d{2})-\d+$/.exec(version);
  if (!date) throw new FeedError(FEED, source, `version "${version}" is not YYYYMMDD-NNNN`);
  const root = options.imagesRoot.endsWith('/') ? options.imagesRoot : `${options.imagesRoot}/`;
  return {
    version,
    buildDate: `${date[1]}-${date[2]}-${date[3]}`,
    url: new URL(upload.data.ref, root).toString(),
    diskFormat: format,
    compression: 'none',
    checksum: { algorithm: 'sha512', value },
    properties: {},
    signatureRef: { kind: 'none' },
  };
}

/** The manifest's digest must equal the SHA512SUMS line of the same file. */
export function crossCheckSha512Sums(release: ParsedRelease, sums: string, sumsUrl: string): void {
  const file = release.url.slice(release.url.lastIndexOf('/') + 1);
  const line = sums.split(/\r?\n/).find((l) => l.trim().split(/\s+\*?/)[1] === file);
  const value = line?.trim().split(/\s+/)[0]?.toLowerCase();
  if (!value) throw new FeedError(FEED, sumsUrl, `no SHA512SUMS line for ${file}`);
  if (value !== release.checksum.value) {
    throw new FeedError(
      FEED,
      sumsUrl,
      `SHA512SUMS says ${value.slice(0, 16)}... for ${file}, the manifest ${release.checksum.value.slice(0, 16)}...`,
    );
  }
}
