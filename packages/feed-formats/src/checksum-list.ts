// Checksum lists, GNU (`<hex>  <file>`, `<hex> *<file>`) and BSD (`SHA256 (<file>) = <hex>`,
// with `# <file>: <n> bytes` comments). A per-series, anchored file pattern with a named
// group `version` picks the images; look-alikes (`-latest`, `.qcow2c`, `-LVM-`...) never
// match. Order comes from the version compare, never from the file's order.
import type { COMPRESSIONS, DISK_FORMATS } from '@imagecycle/contracts';
import { FeedError } from './errors.ts';
import { dirnameUrl } from './text.ts';
import type { ParsedRelease, SignatureRef } from './types.ts';
import { compareVersions } from '@imagecycle/lifecycle';

const FEED = 'checksum-list';
const HEX = { sha256: 64, sha512: 128 } as const;

export interface ChecksumEntry {
  file: string;
  algorithm: 'sha256' | 'sha512';
  value: string;
  size?: number;
  line: number;
}

/** Every checksum line of a list, GNU or BSD style (detected per line); other lines ignored. */
export function parseChecksumEntries(
  text: string,
  source: string,
  algorithm: 'sha256' | 'sha512',
): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  const sizes = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const size = /^#\s*(.+?):\s*(\d+)(K|M|G)?\s*bytes$/i.exec(line);
    if (size) {
      const unit =
        { K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(size[3] ?? '').toUpperCase() as 'K'] ?? 1;
      sizes.set(size[1] ?? '', Number(size[2]) * unit);
      return;
    }
    if (line.startsWith('#')) return;
    const bsd = /^(SHA256|SHA512)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)$/.exec(line);
    const gnu = /^([0-9a-fA-F]+)\s+\*?(.+)$/.exec(line);
    let algo: 'sha256' | 'sha512';
    let file: string;
    let value: string;
    if (bsd) {
      algo = bsd[1]?.toLowerCase() as 'sha256' | 'sha512';
      file = bsd[2] ?? '';
      value = bsd[3] ?? '';
    } else if (gnu) {
      value = gnu[1] ?? '';
      file = gnu[2] ?? '';
      algo = value.length === 128 ? 'sha512' : 'sha256';
      if (value.length !== 64 && value.length !== 128) return; // md5/sha1 lists: not ours
    } else {
      return; // PGP armour lines, prose
    }
    if (algo !== algorithm) return;
    if (value.length !== HEX[algo])
      throw new FeedError(
        FEED,
        source,
        `${algo} of ${file} has ${value.length} hex digits`,
        `line ${index + 1}`,
      );
    entries.push({ file, algorithm: algo, value: value.toLowerCase(), line: index + 1 });
  });
  for (const entry of entries) {
    const size = sizes.get(entry.file);
    if (size) entry.size = size;
  }
  return entries;
}

export interface ChecksumListOptions {
  listUrl: string;
  /** Matched against the WHOLE file name; must have a named group `version`. */
  filePattern: RegExp;
  algorithm: 'sha256' | 'sha512';
  compression?: (typeof COMPRESSIONS)[number];
  diskFormat?: (typeof DISK_FORMATS)[number];
  /** Where the signature over the list is, if the upstream signs it. */
  signature?: 'detached-gpg' | 'clearsigned-asc' | 'none';
  /** Directory holding the images, when it is not the list's own. */
  imagesUrl?: string;
}

export function anchored(pattern: RegExp): RegExp {
  const source = pattern.source.replace(/^\^/, '').replace(/\$$/, '');
  return new RegExp(`^(?:${source})$`, pattern.flags.replace('g', ''));
}

export function parseChecksumList(text: string, options: ChecksumListOptions): ParsedRelease[] {
  const source = options.listUrl;
  const pattern = anchored(options.filePattern);
  if (!/\(\?<version>/.test(pattern.source))
    throw new FeedError(FEED, source, 'file pattern has no named group "version"');
  const dir = options.imagesUrl ?? dirnameUrl(options.listUrl);
  const signatureRef: SignatureRef =
    options.signature === 'clearsigned-asc'
      ? { kind: 'clearsigned', url: `${options.listUrl}.asc` }
      : options.signature === 'detached-gpg'
        ? { kind: 'detached', signedUrl: options.listUrl, signatureUrl: `${options.listUrl}.gpg` }
        : { kind: 'none' };

  const byVersion = new Map<string, ParsedRelease>();
  for (const entry of parseChecksumEntries(text, source, options.algorithm)) {
    const match = pattern.exec(entry.file);
    const version = match?.groups?.version;
    if (!match || !version) continue;
    const date = match.groups?.date ?? /(20\d{6})/.exec(entry.file)?.[1];
    const release: ParsedRelease = {
      version,
      buildDate:
        date && /^\d{8}$/.test(date)
          ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`
          : dateFromYymm(version),
      url: new URL(entry.file, dir).toString(),
      diskFormat: options.diskFormat ?? 'qcow2',
      compression: options.compression ?? 'none',
      checksum: { algorithm: entry.algorithm, value: entry.value },
      ...(entry.size ? { size: entry.size } : {}),
      properties: {},
      signatureRef,
    };
    const clash = byVersion.get(version);
    if (clash && clash.checksum.value !== release.checksum.value) {
      throw new FeedError(
        FEED,
        source,
        `two different files match version ${version}`,
        `line ${entry.line}`,
      );
    }
    byVersion.set(version, release);
  }
  if (byVersion.size === 0) throw new FeedError(FEED, source, `no file matches ${pattern.source}`);
  return [...byVersion.values()].sort((a, b) => compareVersions(b.version, a.version));
}

/** CentOS 7 names carry YYMM only: the first of that month. */
function dateFromYymm(version: string): string {
  const yymm = /^(\d{2})(\d{2})/.exec(version);
  return yymm ? `20${yymm[1]}-${yymm[2]}-01` : '1970-01-01';
}

/** The anchored patterns of the catalogue's checksum-list series. */
export const FILE_PATTERNS = {
  'centos-7': /CentOS-7-x86_64-GenericCloud-(?<version>\d{4}(?:_\d{2})?)\.qcow2/,
  'centos-8': /CentOS-8-GenericCloud-(?<version>8\.\d+\.\d+-(?<date>\d{8})\.\d+)\.x86_64\.qcow2/,
  'centos-stream-9': /CentOS-Stream-GenericCloud-(?<version>9-(?<date>\d{8})\.\d+)\.x86_64\.qcow2/,
  'almalinux-9': /AlmaLinux-9-GenericCloud-(?<version>9\.\d+-(?<date>\d{8}))\.x86_64\.qcow2/,
  'rocky-9': /Rocky-9-GenericCloud-Base-(?<version>9\.\d+-(?<date>\d{8})\.\d+)\.x86_64\.qcow2/,
} as const;
