// Checksum lists, GNU (`<hex>  <file>`, `<hex> *<file>`) and BSD (`SHA256 (<file>) = <hex>`,
// with `# <file>: <n> bytes` comments), plain or clearsigned. A per-series, anchored file pattern with a named
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

/**
 * The checksum lines of a list for the files `wanted` picks (default: every file), GNU or BSD
 * style (detected per line). Only a wanted file's line is validated: its digest must be
 * `algorithm`'s length in hex, or the error names the line. Everything else is tolerated
 * unread: other files (Vagrant boxes, ext4/LVM variants, `latest` aliases, other
 * architectures), other algorithms (`MD5 (...) =`, md5 lists), comments and prose, and the
 * armour of a clearsigned list (its header lines and the signature block; dash-escaped lines
 * are unescaped).
 */
export function parseChecksumEntries(
  text: string,
  source: string,
  algorithm: 'sha256' | 'sha512',
  wanted: (file: string) => boolean = () => true,
): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  const sizes = new Map<string, number>();
  const seen = new Map<string, ChecksumEntry>();
  const hex = new RegExp(`^[0-9a-fA-F]{${HEX[algorithm]}}$`);
  let armour: 'none' | 'headers' | 'signature' = 'none';
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    let line = raw.trim();
    const at = `line ${index + 1}`;
    if (line === '-----BEGIN PGP SIGNED MESSAGE-----') return void (armour = 'headers');
    if (armour === 'headers') {
      if (line === '') armour = 'none'; // `Hash: SHA256` headers end at the first blank line
      return;
    }
    if (line === '-----BEGIN PGP SIGNATURE-----') return void (armour = 'signature');
    if (armour === 'signature') {
      if (line === '-----END PGP SIGNATURE-----') armour = 'none';
      return;
    }
    if (line.startsWith('- ')) line = line.slice(2); // dash-escaped text of a clearsigned list
    if (!line) return;
    const size = /^#\s*(.+?):\s*(\d+)(K|M|G)?\s*bytes$/i.exec(line);
    if (size) {
      const unit =
        { K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(size[3] ?? '').toUpperCase() as 'K'] ?? 1;
      sizes.set(size[1] ?? '', Number(size[2]) * unit);
      return;
    }
    if (line.startsWith('#')) return;
    let file: string;
    let value: string;
    const bsd = /^([A-Za-z][A-Za-z0-9-]*)\s*\((.+)\)\s*=\s*(\S*)$/.exec(line);
    if (bsd) {
      // `SHA256 (<file>) = <hex>`; lines of other algorithms are not ours
      if ((bsd[1] ?? '').toLowerCase().replace('-', '') !== algorithm) return;
      file = bsd[2] ?? '';
      value = bsd[3] ?? '';
    } else {
      // `<hex>  <file>` or `<hex> *<file>` (binary-mode marker)
      const gnu = /^(\S+)\s+\*?(\S.*)$/.exec(line);
      if (!gnu || !/^[0-9a-fA-F]+$/.test(gnu[1] ?? '')) return; // prose
      value = gnu[1] ?? '';
      file = gnu[2] ?? '';
    }
    if (!wanted(file)) return;
    if (!hex.test(value))
      throw new FeedError(
        FEED,
        source,
        `the ${algorithm} of ${file} is not ${HEX[algorithm]} hex digits: "${value.slice(0, 140)}"`,
        at,
      );
    const entry: ChecksumEntry = {
      file,
      algorithm,
      value: value.toLowerCase(),
      line: index + 1,
    };
    const before = seen.get(file);
    if (before) {
      if (before.value !== entry.value)
        throw new FeedError(
          FEED,
          source,
          `${file} is listed twice with different ${algorithm} digests (also line ${before.line})`,
          at,
        );
      return;
    }
    seen.set(file, entry);
    entries.push(entry);
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
  for (const entry of parseChecksumEntries(text, source, options.algorithm, (file) =>
    pattern.test(file),
  )) {
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
