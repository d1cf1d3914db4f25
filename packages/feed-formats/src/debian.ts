// Debian's cloud images: dated build directories `YYYYMMDD-NNNN/` (never the `latest/`
// link), a JSON manifest per build (a `List` of Build and Upload items; the digest is
// `sha512:` + base64 without padding), and SHA512SUMS to cross-check it. No signature.
import { FeedError } from './errors.ts';
import { JsonReader } from './json-path.ts';
import { parseJsonDocument, resolveUrl } from './text.ts';
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

export interface DebianOptions {
  manifestUrl: string;
  /** `.../images/cloud/`: Upload refs are relative to it. */
  imagesRoot: string;
  format?: 'qcow2' | 'raw';
}

const FORMAT_LABEL = 'upload.cloud.debian.org/image-format';
const DIGEST_ANNOTATION = 'cloud.debian.org/digest';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `item.metadata.labels[label]`, or undefined wherever the item has another shape. */
function labelOf(item: Record<string, unknown>, label: string): unknown {
  const metadata = item.metadata;
  if (!isObject(metadata) || !isObject(metadata.labels)) return undefined;
  return Object.hasOwn(metadata.labels, label) ? metadata.labels[label] : undefined;
}

/**
 * The release one build manifest describes. A manifest is a `List` whose items are read
 * only where they matter: the first `Build` item's `data.info.version`, and the `Upload`
 * item labelled with the wanted image format (its `data.ref` and its digest annotation).
 * Other items, other kinds, other formats, labels, annotations and members are never
 * looked at; a malformed member on the read path is an error naming it (`items[2].data.ref`).
 */
export function parseDebianManifest(text: string, options: DebianOptions): ParsedRelease {
  const source = options.manifestUrl;
  const json = new JsonReader(FEED, source);
  const root = json.object(parseJsonDocument(FEED, source, text), []);
  if (root.kind !== 'List')
    json.fail(['kind'], `expected "List", found ${JSON.stringify(root.kind) ?? 'nothing'}`);
  const items = json.array(root.items, ['items']);
  const indexed = items
    .map((item, index) => ({ item, index }))
    .filter((x): x is { item: Record<string, unknown>; index: number } => isObject(x.item));

  const build = indexed.find(({ item }) => item.kind === 'Build');
  if (!build) return json.fail(['items'], 'no Build item');
  const buildPath = ['items', build.index];
  const data = json.child(build.item, buildPath, 'data');
  const info = json.child(data, [...buildPath, 'data'], 'info');
  const version = json.string(info, [...buildPath, 'data', 'info'], 'version', {
    pattern: /^\d{8}-\d+$/,
    what: 'a build version YYYYMMDD-NNNN',
  });

  const format = options.format ?? 'qcow2';
  const upload = indexed.find(
    ({ item }) => item.kind === 'Upload' && labelOf(item, FORMAT_LABEL) === format,
  );
  if (!upload) return json.fail(['items'], `no Upload item of format ${format}`);
  const uploadPath = ['items', upload.index];
  const ref = json.string(
    json.child(upload.item, uploadPath, 'data'),
    [...uploadPath, 'data'],
    'ref',
  );
  const metadataPath = [...uploadPath, 'metadata'];
  const annotations = json.child(
    json.child(upload.item, uploadPath, 'metadata'),
    metadataPath,
    'annotations',
  );
  const digestPath = [...metadataPath, 'annotations'];
  const digest = json.string(annotations, digestPath, DIGEST_ANNOTATION);
  if (!digest.startsWith('sha512:'))
    json.fail([...digestPath, DIGEST_ANNOTATION], `"${digest.slice(0, 20)}" is no sha512 digest`);
  const base64 = digest.slice('sha512:'.length);
  if (!/^[A-Za-z0-9+/]{86}$/.test(base64))
    json.fail(
      [...digestPath, DIGEST_ANNOTATION],
      `digest "${digest.slice(0, 100)}" is not unpadded base64 of 64 bytes`,
    );
  const value = Buffer.from(base64, 'base64').toString('hex');
  const date = /^(\d{4})(\d{2})(\d{2})-\d+$/.exec(version) as RegExpExecArray;
  const base = options.imagesRoot.endsWith('/') ? options.imagesRoot : `${options.imagesRoot}/`;
  return {
    version,
    buildDate: `${date[1]}-${date[2]}-${date[3]}`,
    url: resolveUrl(FEED, source, ref, base),
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
