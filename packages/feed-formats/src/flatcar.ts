// Flatcar: `current/version.txt` (shell KEY=value lines) names the release; the pinned
// image lives under its version directory, with a .DIGESTS file (MD5, SHA1 and SHA512
// sections; SHA512 is used), clearsigned as .DIGESTS.asc and signed detached as .sig.
import { FeedError } from './errors.ts';
import { JsonReader } from './json-path.ts';
import { parseJsonDocument } from './text.ts';
import type { ParsedRelease } from './types.ts';

const FEED = 'flatcar';
const IMAGE = 'flatcar_production_openstack_image.img';

/**
 * The KEY=value lines of a version.txt, quotes removed (a later line wins, as in a shell).
 * Anything else - comments, blank lines, lines of another shape - is not read.
 */
export function parseFlatcarVersion(text: string, source: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(raw.trim());
    if (m) values[m[1] ?? ''] = (m[2] ?? '').replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  if (values.FLATCAR_VERSION === undefined && values.FLATCAR_VERSION_ID === undefined)
    throw new FeedError(FEED, source, 'no FLATCAR_VERSION_ID or FLATCAR_VERSION line');
  return values;
}

/**
 * The release a version.txt names: FLATCAR_VERSION_ID (N.N.N), or FLATCAR_VERSION where the
 * file has no _ID (a development build's FLATCAR_VERSION carries a `+<build>` suffix that
 * is not part of the directory name). The only fields read; every other one is tolerated.
 */
export function flatcarVersion(text: string, source: string): string {
  const values = parseFlatcarVersion(text, source);
  const key = values.FLATCAR_VERSION_ID !== undefined ? 'FLATCAR_VERSION_ID' : 'FLATCAR_VERSION';
  const version = values[key] ?? '';
  if (!/^\d+\.\d+\.\d+$/.test(version))
    throw new FeedError(FEED, source, `"${version.slice(0, 40)}" is not a version N.N.N`, key);
  return version;
}

/**
 * The SHA512 line for `fileName` from a DIGESTS file: `# <ALGORITHM> HASH` headers, each
 * followed by `<hex>  <file>` lines. Other sections (MD5, SHA1, any other) and other files'
 * lines are not read; the one SHA512 line of the file must be well-formed and unique.
 */
export function parseFlatcarDigests(text: string, fileName: string, source: string): string {
  let section = '';
  let found: { value: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const header = /^#\s*(\w+)\s+HASH$/i.exec(line);
    if (header) {
      section = (header[1] ?? '').toUpperCase();
      return;
    }
    if (section !== 'SHA512') return;
    const m = /^(\S+)\s+\*?(\S+)$/.exec(line);
    if (!m || m[2] !== fileName) return;
    const where = `line ${index + 1}`;
    const value = m[1] ?? '';
    if (!/^[0-9a-fA-F]{128}$/.test(value))
      throw new FeedError(FEED, source, `SHA512 of ${fileName} is not 128 hex digits`, where);
    if (found && found.value !== value.toLowerCase())
      throw new FeedError(
        FEED,
        source,
        `two different SHA512 digests for ${fileName} (line ${found.line} and this one)`,
        where,
      );
    found = { value: value.toLowerCase(), line: index + 1 };
  });
  if (!found) throw new FeedError(FEED, source, `no SHA512 digest for ${fileName}`);
  return found.value;
}

/** `release_date` of one version in releases-stable.json; other versions and members are not read. */
function releaseDate(text: string, version: string): string {
  const source = 'releases-stable.json';
  const json = new JsonReader(FEED, source);
  const root = json.object(parseJsonDocument(FEED, source, text), []);
  if (!Object.hasOwn(root, version)) return '';
  const entry = json.object(root[version], [version]);
  const date = json.optionalString(entry, [version], 'release_date');
  if (date === undefined) return '';
  if (Number.isNaN(Date.parse(date)))
    json.fail([version, 'release_date'], `"${date.slice(0, 40)}" is not a date`);
  return new Date(date).toISOString().slice(0, 10);
}

export interface FlatcarOptions {
  /** `.../amd64-usr/` */
  channelUrl: string;
  compression: 'bz2' | 'gz' | 'none';
}

/** The image file's URL for a version (before the DIGESTS are read). */
export function flatcarImageUrl(options: FlatcarOptions, version: string): string {
  const base = options.channelUrl.endsWith('/') ? options.channelUrl : `${options.channelUrl}/`;
  const suffix = options.compression === 'none' ? '' : `.${options.compression}`;
  return new URL(`${version}/${IMAGE}${suffix}`, base).toString();
}

export function flatcarRelease(input: {
  options: FlatcarOptions;
  versionTxt: string;
  versionUrl: string;
  digests: string;
  /** releases-stable.json, for the release date. */
  releasesJson?: string;
}): ParsedRelease {
  const version = flatcarVersion(input.versionTxt, input.versionUrl);
  const url = flatcarImageUrl(input.options, version);
  const file = url.slice(url.lastIndexOf('/') + 1);
  const value = parseFlatcarDigests(input.digests, file, `${url}.DIGESTS`);
  const buildDate = input.releasesJson ? releaseDate(input.releasesJson, version) : '';
  return {
    version,
    buildDate: buildDate || '1970-01-01',
    url,
    diskFormat: 'qcow2',
    compression: input.options.compression,
    checksum: { algorithm: 'sha512', value },
    properties: {},
    signatureRef: { kind: 'clearsigned', url: `${url}.DIGESTS.asc` },
  };
}
