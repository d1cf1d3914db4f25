// Flatcar: `current/version.txt` (shell KEY=value lines) names the release; the pinned
// image lives under its version directory, with a .DIGESTS file (MD5, SHA1 and SHA512
// sections; SHA512 is used), clearsigned as .DIGESTS.asc and signed detached as .sig.
import { FeedError } from './errors.ts';
import type { ParsedRelease } from './types.ts';

const FEED = 'flatcar';
const IMAGE = 'flatcar_production_openstack_image.img';

export function parseFlatcarVersion(text: string, source: string): Record<string, string> {
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m)
      throw new FeedError(
        FEED,
        source,
        `not a KEY=value line: "${line.slice(0, 60)}"`,
        `line ${index + 1}`,
      );
    values[m[1] ?? ''] = (m[2] ?? '').replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  });
  if (!values.FLATCAR_VERSION && !values.FLATCAR_VERSION_ID)
    throw new FeedError(FEED, source, 'no FLATCAR_VERSION');
  return values;
}

/** The SHA512 line for `fileName` from a DIGESTS file. */
export function parseFlatcarDigests(text: string, fileName: string, source: string): string {
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^#\s*(\w+)\s+HASH$/i.exec(line);
    if (header) {
      section = (header[1] ?? '').toUpperCase();
      continue;
    }
    const m = /^([0-9a-fA-F]+)\s+\*?(\S+)$/.exec(line);
    if (section === 'SHA512' && m && m[2] === fileName) {
      if (m[1]?.length !== 128)
        throw new FeedError(FEED, source, `SHA512 of ${fileName} is not 128 hex digits`);
      return m[1].toLowerCase();
    }
  }
  throw new FeedError(FEED, source, `no SHA512 digest for ${fileName}`);
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
  const values = parseFlatcarVersion(input.versionTxt, input.versionUrl);
  const version = values.FLATCAR_VERSION_ID || values.FLATCAR_VERSION || '';
  if (!/^\d+\.\d+\.\d+$/.test(version))
    throw new FeedError(FEED, input.versionUrl, `version "${version}" is not N.N.N`);
  const url = flatcarImageUrl(input.options, version);
  const file = url.slice(url.lastIndexOf('/') + 1);
  const value = parseFlatcarDigests(input.digests, file, `${url}.DIGESTS`);
  let buildDate = '';
  if (input.releasesJson) {
    try {
      const releases = JSON.parse(input.releasesJson) as Record<string, { release_date?: unknown }>;
      const date = releases[version]?.release_date;
      if (typeof date === 'string' && !Number.isNaN(Date.parse(date)))
        buildDate = new Date(date).toISOString().slice(0, 10);
    } catch {
      throw new FeedError(FEED, 'releases-stable.json', 'not valid JSON');
    }
  }
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
